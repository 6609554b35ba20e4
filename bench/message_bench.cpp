// Per MESSAGE event, from the proxy-event JSON bytes to the response bytes (design.md §5: ≤ 5 µs):
// parse, route, middleware, the handler, serialise — what the Lambda loop does per invocation
// besides the Runtime API calls. Variants: with Lift's standard metrics (the default, as
// shipped) and their EMF document written to a sink, with one recorder reused for every event as
// the Lambda loop and the local gateway's workers do; the same with a new recorder per event and
// `serialize` (how both worked before); and with metrics off.
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include <lift/core/app.hpp>
#include <lift/core/json.hpp>
#include <lift/core/metrics.hpp>

namespace {

const std::string event_json =
    R"({"requestContext":{"routeKey":"ping","messageId":"M1fKxdN0oAMCJsA=",)"
    R"("eventType":"MESSAGE","extendedRequestId":"M1fKxdN0oAMFeLQ=",)"
    R"("requestTime":"20/Jan/2024:11:55:00 +0000","messageDirection":"IN",)"
    R"("stage":"dev","connectedAt":1705751700000,)"
    R"("requestTimeEpoch":1705751700123,"identity":{"sourceIp":"127.0.0.1"},)"
    R"("requestId":"M1fKxdN0oAMFeLQ=","domainName":"localhost",)"
    R"("connectionId":"M1fKxc2VNjMCFIA=","apiId":"abcdefghij"},)"
    R"("body":"{\"action\":\"ping\",\"n\":1}","isBase64Encoded":false})";

// Takes the documents the Lambda loop would write to stdout.
class discard_sink final : public lift::metrics_sink {
public:
    void write(std::string_view document) override { benchmark::DoNotOptimize(document.data()); }
};

enum class variant { metrics_reused_recorder, metrics_fresh_recorder, no_metrics };

void run(benchmark::State& state, variant v) {
    const bool metrics_on = v != variant::no_metrics;
    lift::app app;
    app.standard_metrics(metrics_on);
    app.use([](lift::context& ctx, const lift::next_handler& next) { return next(ctx); });
    app.on("ping", [](lift::context&) { return lift::reply::text(R"({"pong":true})"); },
           {.two_way = true});
    lift::metrics reused;
    discard_sink sink;
    for (auto _ : state) {
        auto ev = lift::parse_event(event_json);
        if (!ev) {
            state.SkipWithError("event does not parse");
            return;
        }
        lift::metrics fresh;
        lift::metrics& m = v == variant::metrics_fresh_recorder ? fresh : reused;
        lift::context_services services;
        services.metrics = &m;
        lift::context ctx{*ev, services};
        auto res = app.handle(ctx);
        if (!res) {
            state.SkipWithError("handler failed");
            return;
        }
        std::string out = lift::serialize(*res);
        benchmark::DoNotOptimize(out);
        if (v == variant::metrics_reused_recorder) {
            m.flush(sink, 1705751700123);  // writes the document and clears the recorder
        } else if (v == variant::metrics_fresh_recorder) {
            auto docs = m.serialize(1705751700123);
            benchmark::DoNotOptimize(docs);
        }
    }
}

void bm_message_event_with_metrics(benchmark::State& state) {
    run(state, variant::metrics_reused_recorder);
}

void bm_message_event_with_metrics_fresh_recorder(benchmark::State& state) {
    run(state, variant::metrics_fresh_recorder);
}

void bm_message_event_without_metrics(benchmark::State& state) {
    run(state, variant::no_metrics);
}

BENCHMARK(bm_message_event_with_metrics);
BENCHMARK(bm_message_event_with_metrics_fresh_recorder);
BENCHMARK(bm_message_event_without_metrics);

}  // namespace
