// The Lambda Runtime API server of `function_host` (runtime_api.cpp, the second Beast TU of
// lift::gateway): protocol constants and the pure pieces, exposed for unit tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <lift/gateway/function_host.hpp>
#include <lift/gateway/functions.hpp>

namespace lift::gateway::detail {

/// Largest response/error body the Runtime API accepts: 6 MiB + 100 bytes (RIE's
/// `MaxPayloadSize`); larger posts get 413 RequestEntityTooLarge.
inline constexpr std::size_t max_runtime_payload_bytes = 6 * 1024 * 1024 + 100;

/// What a Runtime API request target asks for.
enum class runtime_call { unknown, next, response, error, init_error };

/// A parsed request target.
struct runtime_target {
    runtime_call call = runtime_call::unknown;
    std::string request_id;  ///< for `response` / `error`
};

/// Parses `/2018-06-01/runtime/...` targets (query strings are ignored).
runtime_target parse_runtime_target(std::string_view target);

/// `NAME=VALUE` strings an instance of `fn` is started with: Lambda's reserved variables
/// (`AWS_LAMBDA_RUNTIME_API=127.0.0.1:port`, `_HANDLER`, `LAMBDA_TASK_ROOT`, region, function
/// name/version/memory, log group/stream, `AWS_LAMBDA_INITIALIZATION_TYPE`, `TZ`, `LANG`),
/// `PATH` and the credentials from `getenv` (the caller's environment), and the function's own
/// variables (which cannot override the reserved ones).
std::vector<std::string> lambda_environment(const function_config& fn,
                                            const function_host_options& opts,
                                            const std::map<std::string, std::string>& defaults,
                                            std::uint16_t port,
                                            std::string_view task_root,
                                            std::string_view log_stream,
                                            const std::function<const char*(const char*)>& getenv);

/// The error JSON Lambda shows for a function error: `body` when it is a JSON object with an
/// `errorMessage` or `errorType`, else `{"errorMessage": body, "errorType": type}`.
std::string error_payload(std::string_view type, std::string_view body);

}  // namespace lift::gateway::detail
