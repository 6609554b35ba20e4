// Routes of an api_config as handlers that invoke out-of-process functions.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <lift/core/authorizer.hpp>
#include <lift/core/context.hpp>
#include <lift/core/json.hpp>
#include <lift/gateway/function_gateway.hpp>

namespace lift::gateway {

namespace {

bool is_blank_or_null(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s.empty() || s == "null";
}

}  // namespace

result<connect_authorizer> make_function_authorizer(const api_config& api, function_host& host) {
    if (!api.authorizer) {
        return fail(errc::invalid_argument, "the API has no authorizer");
    }
    const auto& binding = *api.authorizer;
    if (std::none_of(api.functions.begin(), api.functions.end(),
                     [&](const function_config& f) { return f.name == binding.function; })) {
        return fail(errc::invalid_argument,
                    fmt::format("the $connect authorizer names function '{}', which is not defined",
                                binding.function));
    }
    connect_authorizer a;
    a.identity_sources = binding.identity_sources;
    a.name = binding.name.empty() ? binding.function : binding.name;
    a.invoke = [h = &host, fn = binding.function](
                   const authorizer_request& request) -> result<authorizer_response> {
        auto out = h->invoke(fn, lift::serialize(request));
        if (out.failed) {
            // Lambda's error for "deny with 401": errorMessage "Unauthorized".
            boost::system::error_code ec;
            const auto error = boost::json::parse(out.payload, ec);
            if (!ec && error.is_object()) {
                const auto* message = error.as_object().if_contains("errorMessage");
                if (message != nullptr && message->is_string() &&
                    message->as_string() == "Unauthorized") {
                    return unauthorized();
                }
            }
            return fail(errc::handler_failed,
                        fmt::format("function {} failed ({}): {}", fn, out.error_type,
                                    out.payload.substr(0, 300)));
        }
        if (out.payload.size() > 8 * 1024) {
            return fail(errc::payload_too_large,
                        fmt::format("function {} returned {} bytes; an authorizer response may "
                                    "have 8192 at most",
                                    fn, out.payload.size()));
        }
        auto response = parse_authorizer_response(out.payload);
        if (!response) {
            return fail(errc::handler_failed,
                        fmt::format("function {} returned an invalid authorizer response: {}", fn,
                                    response.error().message));
        }
        return response;
    };
    return a;
}

result<std::unique_ptr<lift::app>> make_function_app(const api_config& api, function_host& host) {
    std::set<std::string, std::less<>> names;
    for (const auto& f : api.functions) {
        names.insert(f.name);
    }
    auto app = std::make_unique<lift::app>();
    try {
        if (!api.route_selection_expression.empty()) {
            app->route_selection(api.route_selection_expression);
        }
        for (const auto& r : api.routes) {
            if (names.find(r.function) == names.end()) {
                return fail(errc::invalid_argument,
                            fmt::format("route {} names function '{}', which is not defined",
                                        r.route_key, r.function));
            }
            const std::string fn = r.function;
            function_host* h = &host;
            app->on(r.route_key,
                    [h, fn](lift::context& ctx) -> result<reply> {
                        auto out = h->invoke(fn, lift::serialize(ctx.event()));
                        if (out.failed) {
                            return fail(errc::handler_failed,
                                        fmt::format("function {} failed ({}): {}", fn,
                                                    out.error_type, out.payload));
                        }
                        // A handler that returns nothing (`null`, e.g. Node's undefined) is a 200.
                        if (is_blank_or_null(out.payload)) {
                            return reply::ok();
                        }
                        auto rep = lift::parse_reply(out.payload);
                        if (!rep) {
                            return fail(errc::handler_failed,
                                        fmt::format("function {} returned a malformed response: {}",
                                                    fn, rep.error().message));
                        }
                        return rep;
                    },
                    {.two_way = r.two_way});
        }
    } catch (const std::invalid_argument& e) {
        return fail(errc::invalid_argument, e.what());
    }
    return app;
}

result<std::unique_ptr<function_gateway>> function_gateway::start(const api_config& api,
                                                                  options opts,
                                                                  function_host_options host_opts) {
    std::unique_ptr<function_gateway> fg{new function_gateway};
    auto host = function_host::start(api.functions, std::move(host_opts));
    if (!host) {
        return host.error();
    }
    fg->host_ = std::move(*host);
    auto app = make_function_app(api, *fg->host_);
    if (!app) {
        return app.error();
    }
    fg->app_ = std::move(*app);
    unsigned concurrency = 0;
    for (const auto& f : api.functions) {
        concurrency += static_cast<unsigned>(f.max_concurrency);
    }
    // Workers only wait on the host; the host enforces each function's concurrency.
    opts.workers = std::max({opts.workers, concurrency, 1u});
    if (opts.route_selection_expression.empty()) {
        opts.route_selection_expression = api.route_selection_expression;
    }
    if (api.authorizer) {
        auto authorizer = make_function_authorizer(api, *fg->host_);
        if (!authorizer) {
            return authorizer.error();
        }
        opts.authorizer = std::move(*authorizer);
    }
    auto gw = gateway::start(*fg->app_, std::move(opts));
    if (!gw) {
        return gw.error();
    }
    fg->gw_ = std::move(*gw);
    // Functions reach @connections on this gateway, as Lift's own http management mode does:
    // the event's domainName would give https://127.0.0.1:PORT/{stage}, which is plain HTTP
    // here. A function's own AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI wins.
    fg->host_->set_environment("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
                               fg->gw_->management_url());
    return fg;
}

function_gateway::~function_gateway() {
    stop();
}

void function_gateway::stop() {
    if (gw_) {
        gw_->stop();
    }
    if (host_) {
        host_->stop();
    }
}

lift::gateway::stats function_gateway::stats() const {
    auto s = gw_->stats();
    s.cold_starts = host_->total_stats().cold_starts;
    return s;
}

}  // namespace lift::gateway
