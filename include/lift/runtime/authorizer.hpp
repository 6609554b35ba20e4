/// @file authorizer.hpp
/// Writing an API Gateway Lambda REQUEST authorizer with Lift: `lift::run_authorizer(fn, argc,
/// argv)` runs `fn` under the Lambda custom-runtime loop (`run_lambda_raw`) when
/// `AWS_LAMBDA_RUNTIME_API` is set, and otherwise answers one event read from a file or stdin
/// (a local check). `fn` receives the REQUEST event and returns the policy
/// (`authorizer_response::allow` / `deny`) or `lift::unauthorized()`; the types are in
/// lift/core/authorizer.hpp. Behaviour and error mapping: docs/security.md.
///
///     int main(int argc, char** argv) {
///         return lift::run_authorizer([](const lift::authorizer_request& req)
///             -> lift::result<lift::authorizer_response> {
///             if (!req.query("token")) return lift::unauthorized();
///             return lift::authorizer_response::allow("user", req.method_arn);
///         }, argc, argv);
///     }
#pragma once

#include <string_view>

#include <lift/aws/config.hpp>
#include <lift/core/authorizer.hpp>
#include <lift/core/log.hpp>
#include <lift/runtime/lambda.hpp>

namespace lift::runtime {

/// `errorType` posted when the authorizer returns `unauthorized()`; the `errorMessage` is
/// "Unauthorized", which API Gateway answers with 401.
inline constexpr std::string_view unauthorized_error_type = "Lift.Unauthorized";

/// One authorizer invocation: parses `event` (`error_types::invalid_event` when it is not a
/// REQUEST authorizer event), calls `fn` (exceptions caught), and maps the result: a response
/// → its JSON; `errc::unauthorized` → the error "Unauthorized"; a response whose context holds
/// a non-scalar value or any other error → `error_types::handler_failed` with the message. Log
/// lines (reasons only; never header or query values) go to `log`. Thread-safe if `fn` is.
[[nodiscard]] raw_outcome handle_authorizer_event(const authorizer_function& fn,
                                                  std::string_view event,
                                                  const logger& log);

/// Runs the Lambda loop (`run_lambda_raw`) with `fn` as the authorizer. Configuration from
/// `env` as `run_lambda` (`AWS_LAMBDA_RUNTIME_API`, `LIFT_LOG_LEVEL`). Returns an
/// `exit_status`. Not thread-safe: one loop per process.
[[nodiscard]] int run_authorizer_lambda(const authorizer_function& fn,
                                        const aws::environment& env,
                                        const lambda_options& options = {});

}  // namespace lift::runtime

namespace lift {

/// The entry point of an authorizer program. With `AWS_LAMBDA_RUNTIME_API` set: the Lambda
/// loop (`runtime::run_authorizer_lambda`; flags ignored). Otherwise: reads one REQUEST event
/// from `--event FILE` (default: stdin), prints the response JSON, or the error JSON
/// `{"errorMessage","errorType"}`, to stdout and returns 0, or 1 for an error (2 for bad
/// flags). Returns the process exit code.
int run_authorizer(const authorizer_function& fn, int argc, char** argv);

}  // namespace lift
