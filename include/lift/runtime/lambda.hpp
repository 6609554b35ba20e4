/// @file lambda.hpp
/// The Lambda custom-runtime loop (`provided.al2023`): polls the Runtime API for events, runs
/// the app on each exactly as the in-process gateway does, and posts the proxy response or the
/// error. `lift::run` calls it whenever `AWS_LAMBDA_RUNTIME_API` is set; tests call it directly
/// with a map environment and a fake Runtime API. Behaviour and error mapping: docs/lambda.md.
///
///     lift::aws::process_environment env;
///     return lift::runtime::run_lambda(app, env);   // returns only when the loop must end
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <lift/aws/config.hpp>
#include <lift/core/app.hpp>
#include <lift/core/event.hpp>
#include <lift/core/invocation.hpp>
#include <lift/core/log.hpp>

namespace lift::runtime {

/// Largest response body the Runtime API accepts (`Exceeded maximum allowed payload size
/// (6291556 bytes)`, answered with 413). The loop does not pre-check it: the API decides, and a
/// 413 turns into an error post of type `error_types::response_too_large`.
inline constexpr std::size_t max_response_bytes = 6'291'556;

/// The `Lambda-Runtime-Function-Error-Type` values (and `errorType`) the loop posts.
namespace error_types {
/// Start-up failed because of configuration (bad LIFT_* value, store without table, no
/// credentials); posted to `/runtime/init/error`.
inline constexpr std::string_view config_invalid = "Runtime.ConfigInvalid";
/// Start-up failed for another reason (DynamoDB unreachable, ...); `/runtime/init/error`.
inline constexpr std::string_view init_error = "Runtime.InitError";
/// The event body is not an API Gateway WebSocket proxy event (invalid JSON or wrong shape).
inline constexpr std::string_view invalid_event = "Runtime.InvalidEvent";
/// The handler or a middleware threw or returned an error (`errc::handler_failed`).
inline constexpr std::string_view handler_failed = "Lift.HandlerFailed";
/// A message event whose route key the app does not know, and the app has no `$default`.
inline constexpr std::string_view no_route = "Lift.NoRoute";
/// `app::handle` failed otherwise (e.g. saving the record of an accepted `$connect`).
inline constexpr std::string_view invocation_failed = "Lift.InvocationFailed";
/// The Runtime API refused the response as too large (413).
inline constexpr std::string_view response_too_large = "Function.ResponseSizeTooLarge";
}  // namespace error_types

/// Exit statuses of `run_lambda`.
namespace exit_status {
inline constexpr int done = 0;            ///< `lambda_options::max_invocations` were served
inline constexpr int api_failed = 1;      ///< the Runtime API failed or told the runtime to stop
inline constexpr int init_failed = 2;     ///< start-up failed (after posting `/runtime/init/error`)
inline constexpr int no_runtime_api = 3;  ///< `AWS_LAMBDA_RUNTIME_API` missing or not host:port
}  // namespace exit_status

/// Settings of the loop. The defaults are what a Lambda bootstrap wants; tests shorten them.
struct lambda_options {
    /// `host:port` of the Runtime API; empty means `AWS_LAMBDA_RUNTIME_API` from the environment.
    std::string runtime_api;
    /// Attempts per Runtime API call when it fails transiently (connection refused or lost,
    /// 5xx, `/next` without a request id); then the loop exits with `exit_status::api_failed`.
    int max_attempts = 3;
    /// Wait before the second attempt; doubles for each further one.
    std::chrono::milliseconds backoff{50};
    /// Bound on each post (`/response`, `/error`, `/init/error`). `/next` has none: the
    /// process may be frozen between invocations.
    std::chrono::milliseconds post_timeout{30'000};
    /// Stop after this many invocations with `exit_status::done` (0 = never; for tests).
    std::size_t max_invocations = 0;
    /// Log destination; null means stdout (`stdout_sink`). Must outlive the call.
    log_sink* sink = nullptr;
    /// Copy `Lambda-Runtime-Trace-Id` to the process variable `_X_AMZN_TRACE_ID` per invocation
    /// (unset when an invocation has none), as Lambda expects of custom runtimes.
    bool set_trace_env = true;
};

/// Runs the custom-runtime loop for `application` until the Runtime API stops it (or
/// `max_invocations` were served). Configuration comes from `env`: `AWS_LAMBDA_RUNTIME_API`,
/// `LIFT_LOG_LEVEL`, the store (`LIFT_CONNECTION_STORE`, `LIFT_DYNAMODB_TABLE`,
/// `LIFT_DYNAMODB_CREATE_TABLE`, as for the local gateway), region, credentials and endpoint
/// overrides (`AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` / `AWS_ENDPOINT_URL`).
///
/// Start-up failures are posted to `/runtime/init/error` and return `exit_status::init_failed`.
/// Each event gets a `context` whose deadline is `Lambda-Runtime-Deadline-Ms`, whose
/// `invocation()` holds the `Lambda-Runtime-*` headers, whose store is the app's and whose
/// `api()` is a `lift::aws::management_client` for `management_url_for(env, event)` (one client
/// per endpoint, reused). The result of `app.handle` is posted as the proxy response; a failure
/// as an error (see `error_types`). Never throws. Not thread-safe: one loop per process; it
/// modifies `_X_AMZN_TRACE_ID` in the process environment (see `lambda_options`).
[[nodiscard]] int run_lambda(app& application,
                             const aws::environment& env,
                             const lambda_options& options = {});

/// What a raw invocation handler (`run_lambda_raw`) produced: a response body to post to
/// `/response`, or a function error to post to `/error`.
struct raw_outcome {
    std::optional<std::string> response;  ///< the JSON to post; nullopt = an error
    std::string error_type;               ///< `errorType` / `Lambda-Runtime-Function-Error-Type`
    std::string error_message;            ///< `errorMessage`

    /// A successful outcome posting `body`.
    static raw_outcome ok(std::string body) { return raw_outcome{std::move(body), {}, {}}; }

    /// A function error.
    static raw_outcome error(std::string_view type, std::string_view message) {
        return raw_outcome{std::nullopt, std::string{type}, std::string{message}};
    }
};

/// Handles one invocation given its event exactly as `/next` returned it (any JSON shape), its
/// `Lambda-Runtime-*` headers and a logger carrying the request id. An exception counts as
/// `error_types::handler_failed`.
using raw_handler = std::function<raw_outcome(
    std::string_view event, const invocation_info& info, const logger& log)>;

/// The custom-runtime loop of `run_lambda` for functions that are not WebSocket apps (e.g. a
/// Lambda authorizer, lift/runtime/authorizer.hpp): same Runtime API handling, retries, trace
/// variable, log level and exit statuses, but no connection store and no `@connections`
/// client; each event goes to `handler` and its outcome is posted. Never throws. Not
/// thread-safe: one loop per process.
[[nodiscard]] int run_lambda_raw(const raw_handler& handler,
                                 const aws::environment& env,
                                 const lambda_options& options = {});

/// The `@connections` endpoint handlers of `ev` talk to: `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`
/// or `AWS_ENDPOINT_URL` when set, else `https://{requestContext.domainName}/{stage}`. Empty when
/// neither an override nor a domain name exists. Pure; thread-safe if `env` is.
[[nodiscard]] std::string management_url_for(const aws::environment& env,
                                             const websocket_event& ev);

}  // namespace lift::runtime
