// Prints EMF documents for tests/unit/core/emf_check.py, which validates them against the
// rules of aws-reference §8 independently of the C++ tests. Covers: defaults, per-metric
// dimensions, conflicting dimension values, > 100 metrics, > 100 values, high resolution,
// properties, and the standard metrics of an app invocation.
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include <lift/core/app.hpp>
#include <lift/core/metrics.hpp>

namespace {

class stdout_lines final : public lift::metrics_sink {
public:
    void write(std::string_view d) override {
        std::fwrite(d.data(), 1, d.size(), stdout);
        std::fputc('\n', stdout);
    }
};

}  // namespace

int main() {
    stdout_lines out;
    const std::int64_t ts = 1'764'294'568'123;
    lift::metrics_config cfg;
    cfg.metric_namespace = "LiftCheck";
    cfg.service = "emf-sample";
    cfg.default_dimensions = {{"stage", "dev"}};

    lift::metrics a{&cfg};
    a.add("Simple", 1);
    a.add("Latency", 0.25, lift::metric_unit::milliseconds, {{"route", "chat"}});
    a.add("Latency", 3.5, lift::metric_unit::milliseconds, {{"route", "chat"}});
    a.add("Latency", 7, lift::metric_unit::milliseconds, {{"route", "join"}});
    a.add("HighRes", 2, lift::metric_unit::count_per_second, {}, lift::metric_resolution::high);
    a.add("Bad", std::numeric_limits<double>::quiet_NaN());  // dropped
    a.set_property("requestId", "r-1");
    a.flush(out, ts);

    lift::metrics many{&cfg};
    for (int k = 0; k < 230; ++k) {
        for (int i = 0; i < (k % 3 == 0 ? 150 : 1); ++i) {
            many.add("metric" + std::to_string(k), i * 0.5, lift::metric_unit::bytes);
        }
    }
    many.flush(out, ts);

    lift::app app;
    app.on("chat", [](lift::context& ctx) {
        ctx.metrics().add("Custom", 1);
        throw std::runtime_error("boom");
    });
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::message;
    ev.request_context.route_key = "chat";
    ev.request_context.connection_id = "c=";
    ev.body = "{}";
    lift::metrics m{&cfg};
    lift::context_services s;
    s.metrics = &m;
    lift::context ctx{ev, s};
    (void)app.handle(ctx);
    m.flush(out, ts);
    return 0;
}
