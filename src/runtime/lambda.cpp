#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <lift/aws/http.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/context.hpp>
#include <lift/core/invocation.hpp>
#include <lift/core/json.hpp>
#include <lift/core/protocol.hpp>
#include <lift/runtime/lambda.hpp>

#include "store_setup.hpp"

namespace lift::runtime {

namespace {

using steady = std::chrono::steady_clock;

// "No timeout" for GET /next: the process may be frozen for hours between invocations, and a
// timer would fire right after the thaw. A year is far beyond any execution environment's life.
constexpr std::chrono::milliseconds next_timeout = std::chrono::hours{24 * 365};

constexpr std::string_view api_version = "/2018-06-01";

// One event from GET /next.
struct next_event {
    invocation_info info;
    std::string body;
};

// Why the loop ends, when it does.
struct stop {
    int status;
};

std::string error_body(std::string_view type, std::string_view message) {
    boost::json::object o;
    o["errorMessage"] = message;
    o["errorType"] = type;
    o["stackTrace"] = boost::json::array{};
    return boost::json::serialize(o);
}

std::string describe(const result<aws::http_response>& r) {
    if (!r) {
        return r.error().message;
    }
    std::string body = r->body.substr(0, 200);
    return fmt::format("HTTP {} {}", r->status, body);
}

std::int64_t parse_epoch_ms(std::string_view text) {
    std::int64_t v = 0;
    if (text.empty() || text.size() > 18) {
        return -1;
    }
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return -1;
        }
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string_view error_type_for(const error& e) noexcept {
    if (e.code == errc::handler_failed) {
        return error_types::handler_failed;
    }
    if (e.code == errc::no_route) {
        return error_types::no_route;
    }
    return error_types::invocation_failed;
}

// EMF documents as lines of the log sink (stdout in Lambda, so they share its lock).
class log_line_metrics_sink final : public metrics_sink {
public:
    explicit log_line_metrics_sink(log_sink& sink) : sink_(sink) {}

    void write(std::string_view document) override { sink_.write(document); }

private:
    log_sink& sink_;
};

// The loop's state: Runtime API client, management clients per endpoint, logger.
class lambda_loop {
public:
    lambda_loop(const lambda_loop&) = delete;
    lambda_loop& operator=(const lambda_loop&) = delete;

    lambda_loop(app* application,
                const raw_handler* raw,
                const aws::environment& env,
                const lambda_options& options,
                log_sink& sink,
                log_level level,
                aws::http_client& runtime_http,
                aws::endpoint runtime_api,
                metrics_sink& metrics_out,
                metrics_config metrics_settings)
        : app_(application),
          raw_(raw),
          env_(env),
          options_(options),
          sink_(sink),
          level_(level),
          function_name_(env.get("AWS_LAMBDA_FUNCTION_NAME").value_or("")),
          log_(sink, level, log_fields{{}, {}, {}, {}, function_name_}),
          runtime_http_(runtime_http),
          runtime_api_(std::move(runtime_api)),
          metrics_out_(metrics_out),
          metrics_config_(std::move(metrics_settings)),
          debug_buffer_(options.debug_buffer_lines) {}

    // Start-up after the Runtime API is known: store, management API clients, credentials.
    // Returns the error type and message to post to /runtime/init/error on failure.
    std::optional<std::pair<std::string_view, error>> init() {
        if (app_ == nullptr) {
            return std::nullopt;  // a raw handler: no store, no @connections clients
        }
        detail::store_settings settings;
        if (auto read = detail::store_settings_from(env_, settings); !read) {
            return std::pair{error_types::config_invalid, read.error()};
        }
        std::string description;
        if (auto installed = detail::install_store(*app_, env_, settings, description);
            !installed) {
            const bool config = detail::store_failure_status(installed.error()) == 2;
            return std::pair{config ? error_types::config_invalid : error_types::init_error,
                             installed.error()};
        }
        if (description == "in-memory store") {
            log_.warn(
                "in-memory connection store: records live only in this execution environment; "
                "set LIFT_CONNECTION_STORE=dynamodb and LIFT_DYNAMODB_TABLE");
        }
        region_ = aws::resolve_region(env_).value_or("us-east-1");
        override_ = aws::resolve_endpoint(env_, aws::management_api_endpoint_suffix);
        if (auto creds = aws::resolve_credentials(env_)) {
            credentials_ = std::move(*creds);
        } else if (override_) {
            credentials_ = detail::local_dummy_credentials();  // a local @connections endpoint
        } else {
            return std::pair{
                error_types::config_invalid,
                fail(creds.error().code,
                     "the @connections client needs AWS credentials: " + creds.error().message)};
        }
        auto http = aws::http_client::create({});
        if (!http) {
            return std::pair{error_types::init_error, http.error()};
        }
        management_http_ = std::move(*http);
        log_.debug(fmt::format("Lambda runtime ready: {}, region {}, Runtime API {}", description,
                               region_, runtime_api_.host_header()));
        return std::nullopt;
    }

    // Posts the init error; returns the exit status.
    int report_init_error(std::string_view type, const error& e) {
        log_.error(fmt::format("init failed ({}): {}", type, e.message));
        std::fflush(stdout);
        const auto r = post(std::string{api_version} + "/runtime/init/error",
                            error_body(type, e.message), type);
        if (!r || r->status / 100 != 2) {
            log_.error("posting the init error failed: " + describe(r));
        }
        return exit_status::init_failed;
    }

    int run() {
        std::size_t served = 0;
        while (options_.max_invocations == 0 || served < options_.max_invocations) {
            auto next = next_invocation();
            if (!next) {
                return exit_status::api_failed;
            }
            if (auto stopped = serve(*next)) {
                return stopped->status;
            }
            ++served;
        }
        log_.debug(fmt::format("served {} invocations; stopping", served));
        return exit_status::done;
    }

private:
    void backoff(int attempt) const {
        std::this_thread::sleep_for(options_.backoff * (1 << std::min(attempt - 1, 10)));
    }

    // GET /next with bounded retries on transient failures.
    std::optional<next_event> next_invocation() {
        const aws::http_request req{
            "GET", std::string{api_version} + "/runtime/invocation/next", {}, {}};
        std::string last;
        const int attempts = std::max(1, options_.max_attempts);
        for (int attempt = 1; attempt <= attempts; ++attempt) {
            auto r = runtime_http_.send(runtime_api_, req, steady::now() + next_timeout);
            if (r && r->status / 100 == 2) {
                const auto id = r->header_value("Lambda-Runtime-Aws-Request-Id");
                if (id && !id->empty()) {
                    return to_event(*r);
                }
                last = "HTTP 200 without Lambda-Runtime-Aws-Request-Id";
            } else if (r && r->status < 500) {
                log_.error(
                    fmt::format("Runtime API answered {} to GET /runtime/invocation/next; exiting",
                                describe(r)));
                return std::nullopt;
            } else {
                last = describe(r);
            }
            log_.warn(fmt::format("GET /runtime/invocation/next failed (attempt {} of {}): {}",
                                  attempt, attempts, last));
            if (attempt < attempts) {
                backoff(attempt);
            }
        }
        log_.error(
            fmt::format("Runtime API unavailable after {} attempts ({}); exiting", attempts, last));
        return std::nullopt;
    }

    static next_event to_event(aws::http_response& r) {
        next_event ev;
        auto header = [&r](std::string_view name) {
            const auto v = r.header_value(name);
            return v ? std::string{*v} : std::string{};
        };
        ev.info.request_id = header("Lambda-Runtime-Aws-Request-Id");
        ev.info.deadline_ms = parse_epoch_ms(header("Lambda-Runtime-Deadline-Ms"));
        ev.info.function_arn = header("Lambda-Runtime-Invoked-Function-Arn");
        ev.info.trace_id = header("Lambda-Runtime-Trace-Id");
        ev.info.client_context = header("Lambda-Runtime-Client-Context");
        ev.info.cognito_identity = header("Lambda-Runtime-Cognito-Identity");
        ev.info.tenant_id = header("Lambda-Runtime-Aws-Tenant-Id");
        ev.body = std::move(r.body);
        return ev;
    }

    // One POST with bounded retries on transport errors and 5xx. Returns the last outcome.
    result<aws::http_response> post(const std::string& target,
                                    std::string body,
                                    std::string_view error_type = {}) {
        aws::http_request req{
            "POST", target, {{"Content-Type", "application/json"}}, std::move(body)};
        if (!error_type.empty()) {
            req.headers.push_back({"Lambda-Runtime-Function-Error-Type", std::string{error_type}});
        }
        const int attempts = std::max(1, options_.max_attempts);
        result<aws::http_response> r = fail(errc::unavailable, "not sent");
        for (int attempt = 1; attempt <= attempts; ++attempt) {
            r = runtime_http_.send(runtime_api_, req, steady::now() + options_.post_timeout);
            if (r && r->status < 500) {
                return r;
            }
            log_.warn(fmt::format("POST {} failed (attempt {} of {}): {}", target, attempt,
                                  attempts, describe(r)));
            if (attempt < attempts) {
                backoff(attempt);
            }
        }
        return r;
    }

    // Interprets a post's outcome: 2xx fine; 4xx (unknown request id, state error) is logged
    // and the loop goes on; no answer or 5xx after the retries ends the loop.
    std::optional<stop> settle(const logger& log,
                               const char* what,
                               const result<aws::http_response>& r) {
        if (r && r->status / 100 == 2) {
            return std::nullopt;
        }
        if (r && r->status < 500) {
            log.warn(fmt::format("Runtime API refused the {}: {}; continuing", what, describe(r)));
            return std::nullopt;
        }
        log.error(fmt::format("cannot post the {}: {}; exiting", what, describe(r)));
        return stop{exit_status::api_failed};
    }

    std::optional<stop> post_error(const logger& log,
                                   const std::string& id,
                                   std::string_view type,
                                   std::string_view message) {
        std::fflush(stdout);
        const auto r = post(fmt::format("{}/runtime/invocation/{}/error", api_version, id),
                            error_body(type, message), type);
        return settle(log, "error", r);
    }

    // The management client for this event's endpoint (cached per endpoint), or null.
    connection_api* api_for(const websocket_event& ev, const logger& log) {
        const std::string url = management_url_for(env_, ev);
        if (url.empty()) {
            log.warn("event has no requestContext.domainName: ctx.api() is unavailable");
            return nullptr;
        }
        if (auto it = apis_.find(url); it != apis_.end()) {
            return it->second.get();
        }
        auto target = aws::parse_endpoint(url);
        if (!target) {
            log.warn(fmt::format("management endpoint '{}': {}", url, target.error().message));
            return nullptr;
        }
        aws::management_config config;
        config.target = std::move(*target);
        config.region = region_;
        config.credentials = credentials_;
        auto client =
            std::make_unique<aws::management_client>(*management_http_, std::move(config));
        auto* raw = client.get();
        apis_.emplace(url, std::move(client));
        return raw;
    }

    // Runs one invocation and posts its outcome; a value means "stop the loop".
    // Writes this invocation's metrics (and the reasons for any dropped input) before the
    // response is posted: Lambda may freeze the process right after it.
    void flush_metrics(const logger& log, metrics& m) {
        for (const auto& p : m.problems()) {
            log.warn("metric dropped: " + p);
        }
        m.flush(metrics_out_, clock_.now_ms());
    }

    // Buffered debug lines are written only for a failed invocation.
    void settle_debug_lines(bool failed) {
        if (failed) {
            debug_buffer_.flush_to(sink_);
        } else {
            debug_buffer_.clear();
        }
    }

    std::optional<stop> serve(next_event& next) {
        const invocation_info& info = next.info;
        const bool cold = first_invocation_;
        first_invocation_ = false;
        const logger log =
            log_.with({info.request_id, {}, {}, info.trace_id, function_name_, cold});
        metrics& m = metrics_;  // one recorder for every invocation: it keeps its memory
        m.clear();              // a raw handler's invocation leaves it unflushed
        debug_buffer_.clear();
        if (cold) {
            m.add(standard_metrics::cold_start, 1);
        }
        m.set_property("requestId", info.request_id.c_str());
        if (!info.trace_id.empty()) {
            m.set_property("traceId", info.trace_id.c_str());
        }
        if (options_.set_trace_env) {
            if (info.trace_id.empty()) {
                ::unsetenv("_X_AMZN_TRACE_ID");
            } else {
                ::setenv("_X_AMZN_TRACE_ID", info.trace_id.c_str(), 1);
            }
        }
        if (raw_ != nullptr) {
            return serve_raw(next, log);
        }
        app& application = *app_;
        auto parsed = parse_event(next.body);
        if (!parsed) {
            log.error(
                "event is not an API Gateway WebSocket proxy event: " + parsed.error().message,
                {{"errorType", "InvalidEvent"}});
            m.add(standard_metrics::errors, 1, metric_unit::count, {{"errorType", "InvalidEvent"}});
            flush_metrics(log, m);
            return post_error(
                log, info.request_id, error_types::invalid_event,
                "event is not an API Gateway WebSocket proxy event: " + parsed.error().message);
        }
        websocket_event& ev = *parsed;
        // The in-process gateway routes a message whose key the app lacks to $default; do the
        // same so the app answers identically wherever it runs.
        if (ev.type() == event_type::message && application.find(ev.route_key()) == nullptr &&
            application.find(protocol::default_route) != nullptr) {
            ev.request_context.route_key = std::string{protocol::default_route};
        }
        if (info.deadline_ms < 0) {
            log.warn("Lambda-Runtime-Deadline-Ms missing or not a number: no deadline");
        } else if (const std::int64_t left = info.deadline_ms - clock_.now_ms(); left <= 0) {
            log.warn(
                fmt::format("deadline already passed by {} ms; running the handler anyway", -left));
        }
        context_services services;
        services.api = api_for(ev, log);
        services.store = application.store();
        services.sink = &sink_;
        services.level = level_;
        services.invocation = &info;
        services.metrics = &m;
        services.log_buffer = &debug_buffer_;
        services.function_name = function_name_;
        services.cold_start = cold;
        m.set_property("connectionId", ev.connection_id().c_str());
        result<reply> res = fail(errc::internal, "not run");
        try {
            context ctx{ev, services, std::max<std::int64_t>(info.deadline_ms, 0)};
            res = application.handle(ctx);  // logs failures with their details itself
        } catch (const std::exception& e) {
            // Only allocation failures and the like get here: app::handle catches handlers'.
            res = fail(errc::handler_failed, e.what());
            log.error("invocation failed outside the handler", {{"errorMessage", e.what()}});
        } catch (...) {
            res = fail(errc::handler_failed, "unknown exception");
            log.error("invocation failed outside the handler");
        }
        settle_debug_lines(!res || (ev.type() == event_type::connect && res->status_code >= 500));
        flush_metrics(log, m);
        if (!res) {
            const std::string_view type = error_type_for(res.error());
            return post_error(log, info.request_id, type, res.error().message);
        }
        return post_response(log, info, serialize(*res), "route " + ev.route_key());
    }

    // A raw handler's invocation: the event JSON as received, the outcome as it says.
    std::optional<stop> serve_raw(const next_event& next, const logger& log) {
        const invocation_info& info = next.info;
        raw_outcome out;
        try {
            out = (*raw_)(next.body, info, log);
        } catch (const std::exception& e) {
            out = raw_outcome::error(error_types::handler_failed, e.what());
        } catch (...) {
            out = raw_outcome::error(error_types::handler_failed, "unknown exception");
        }
        if (!out.response) {
            return post_error(log, info.request_id, out.error_type, out.error_message);
        }
        return post_response(log, info, std::move(*out.response), "invocation");
    }

    // Posts a response body; a 413 becomes the response-too-large error post.
    std::optional<stop> post_response(const logger& log,
                                      const invocation_info& info,
                                      std::string body,
                                      const std::string& what) {
        const std::size_t size = body.size();
        std::fflush(stdout);
        const auto r =
            post(fmt::format("{}/runtime/invocation/{}/response", api_version, info.request_id),
                 std::move(body));
        if (r && r->status == 413) {
            const std::string message = fmt::format(
                "Response payload size ({} bytes) exceeded maximum allowed payload size ({} "
                "bytes).",
                size, max_response_bytes);
            log.error(fmt::format("{}: {}", what, message));
            return post_error(log, info.request_id, error_types::response_too_large, message);
        }
        return settle(log, "response", r);
    }

    app* app_;
    const raw_handler* raw_;
    const aws::environment& env_;
    const lambda_options& options_;
    log_sink& sink_;
    log_level level_;
    std::string function_name_;
    logger log_;
    system_clock clock_;
    aws::http_client& runtime_http_;
    aws::endpoint runtime_api_;
    std::string region_;
    std::optional<std::string> override_;
    aws::credentials credentials_;
    std::unique_ptr<aws::http_client> management_http_;
    std::map<std::string, std::unique_ptr<aws::management_client>, std::less<>> apis_;
    metrics_sink& metrics_out_;
    metrics_config metrics_config_;
    metrics metrics_{&metrics_config_};  // the current invocation's (serve clears it)
    log_buffer debug_buffer_;
    bool first_invocation_ = true;
};

}  // namespace

std::string management_url_for(const aws::environment& env, const websocket_event& ev) {
    if (auto url = aws::resolve_endpoint(env, aws::management_api_endpoint_suffix)) {
        return *url;
    }
    const auto& rc = ev.request_context;
    if (rc.domain_name.empty()) {
        return {};
    }
    return aws::management_endpoint_for(rc.domain_name, rc.stage);
}

namespace {

// The loop for an app (`raw` null) or a raw handler (`application` null).
int run_loop(app* application,
             const raw_handler* raw,
             const aws::environment& env,
             const lambda_options& options) {
    std::optional<stdout_sink> own_sink;
    log_sink& sink = options.sink != nullptr ? *options.sink : own_sink.emplace();
    try {
        const logger boot_log{sink, log_level::info};
        std::string api = options.runtime_api;
        if (api.empty()) {
            api = env.get("AWS_LAMBDA_RUNTIME_API").value_or("");
        }
        if (api.empty()) {
            boot_log.error("AWS_LAMBDA_RUNTIME_API is not set: not running under Lambda");
            return exit_status::no_runtime_api;
        }
        auto target = aws::parse_endpoint("http://" + api);
        if (!target || !target->base_path.empty()) {
            boot_log.error(fmt::format("AWS_LAMBDA_RUNTIME_API='{}' is not host:port", api));
            return exit_status::no_runtime_api;
        }
        aws::http_client_options http_options;
        http_options.request_timeout = next_timeout;
        auto runtime_http = aws::http_client::create(http_options);
        if (!runtime_http) {
            boot_log.error("cannot create the Runtime API client: " + runtime_http.error().message);
            return exit_status::init_failed;
        }
        log_level level = log_level::info;
        std::optional<error> level_problem;
        if (auto text = env.get("LIFT_LOG_LEVEL"); text && !text->empty()) {
            if (auto parsed = parse_log_level(*text)) {
                level = *parsed;
            } else {
                level_problem = fail(errc::invalid_argument,
                                     fmt::format("LIFT_LOG_LEVEL='{}' is not debug, info, warn, "
                                                 "error or off",
                                                 *text));
            }
        }
        auto metrics_settings = metrics_config_from(
            [&env](std::string_view name) { return env.get(name); }, options.metrics_defaults);
        if (metrics_settings && metrics_settings->service.empty()) {
            metrics_settings->service = env.get("AWS_LAMBDA_FUNCTION_NAME").value_or("");
        }
        std::optional<log_line_metrics_sink> own_metrics_sink;
        metrics_sink& metrics_out =
            options.metrics != nullptr ? *options.metrics : own_metrics_sink.emplace(sink);
        lambda_loop loop{application,
                         raw,
                         env,
                         options,
                         sink,
                         level,
                         **runtime_http,
                         std::move(*target),
                         metrics_out,
                         metrics_settings ? std::move(*metrics_settings) : metrics_config{}};
        if (level_problem) {
            return loop.report_init_error(error_types::config_invalid, *level_problem);
        }
        if (!metrics_settings) {
            return loop.report_init_error(error_types::config_invalid, metrics_settings.error());
        }
        if (auto failed = loop.init()) {
            return loop.report_init_error(failed->first, failed->second);
        }
        return loop.run();
    } catch (const std::exception& e) {
        // Only allocation failures and similar get here: handler exceptions are caught per
        // invocation.
        const logger log{sink, log_level::info};
        log.error(std::string{"Lambda runtime loop failed: "} + e.what());
        return exit_status::api_failed;
    }
}

}  // namespace

int run_lambda(app& application, const aws::environment& env, const lambda_options& options) {
    return run_loop(&application, nullptr, env, options);
}

int run_lambda_raw(const raw_handler& handler,
                   const aws::environment& env,
                   const lambda_options& options) {
    return run_loop(nullptr, &handler, env, options);
}

}  // namespace lift::runtime
