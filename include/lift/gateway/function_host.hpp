/// @file function_host.hpp
/// Runs Lambda functions out of process, in any language, the way Lambda does: a Lambda
/// Runtime API server on loopback (one port per instance, as each Lambda sandbox has its own
/// `127.0.0.1:9001`) and `bootstrap` child processes started with Lambda's environment. Warm
/// instances are reused; overlapping invocations start more, up to `max_concurrency`; the
/// function timeout kills and recycles the instance; a crashed instance is replaced on next use.
///
///     auto host = lift::gateway::function_host::start({{.name = "f", .command = {"./bootstrap"}}},
///                                                     {}).value();
///     auto out = host->invoke("f", R"({"hello":"world"})");   // out.payload, out.failed
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <lift/core/log.hpp>
#include <lift/core/result.hpp>
#include <lift/gateway/functions.hpp>

namespace lift::gateway {

/// Settings shared by every function of a host.
struct function_host_options {
    std::string region = "us-east-1";         ///< `AWS_REGION`, `AWS_DEFAULT_REGION`, ARNs
    std::string account_id = "123456789012";  ///< account in the invoked function ARN (fake)
    std::int64_t init_timeout_ms = 10000;     ///< an instance must poll `/next` within this
                                              ///< after it starts (Lambda's init limit: 10 s)
    log_level level = log_level::info;        ///< level of the host's own log lines
    log_sink* sink = nullptr;                 ///< where they go; nullptr = stderr. Must
                                              ///< outlive the host and be thread-safe.
    /// Variables every instance gets unless its function sets them itself (e.g. the local
    /// `@connections` endpoint); the reserved Lambda variables always win.
    std::map<std::string, std::string> environment;
};

/// What one invocation produced.
struct invocation_result {
    /// True for a function error: the runtime posted `/error`, the instance crashed, timed out,
    /// never polled, or its response was too large. `payload` then holds the error JSON
    /// `{"errorMessage": ..., "errorType": ...}` (as `aws lambda invoke` would show it).
    bool failed = false;
    std::string payload;     ///< the response body as posted, or the error JSON
    std::string error_type;  ///< e.g. `Runtime.ExitError`, `Sandbox.Timeout`; empty on success
    std::string request_id;  ///< `Lambda-Runtime-Aws-Request-Id` of the invocation
};

/// Counters of one function since start.
struct function_stats {
    std::uint64_t invocations = 0;  ///< invocations requested
    std::uint64_t errors = 0;       ///< invocations that failed (any reason)
    std::uint64_t cold_starts = 0;  ///< instances started
    std::uint64_t timeouts = 0;     ///< invocations past the function timeout
    std::uint64_t crashes = 0;      ///< instances that exited on their own
    std::uint64_t instances = 0;    ///< instances alive now
};

/// A running set of functions. Thread-safe. Destroying it stops it (as `stop()`).
class function_host {
public:
    /// Validates `functions` (unique non-empty names, a command each, positive timeout and
    /// concurrency), starts the Runtime API thread and returns. Instances start on first use.
    /// Fails with `errc::invalid_argument` for a bad configuration.
    [[nodiscard]] static result<std::unique_ptr<function_host>> start(
        std::vector<function_config> functions, function_host_options opts);

    virtual ~function_host() = default;

    /// Invokes `function` with `payload` (the event JSON) and blocks until it completes, fails or
    /// times out; at most the function timeout plus `init_timeout_ms` plus the time spent
    /// waiting for a free instance. Callable from any thread, concurrently. An unknown function
    /// or a stopped host gives a failed result with errorType `ResourceNotFoundException` /
    /// `ServiceException`.
    virtual invocation_result invoke(std::string_view function, std::string payload) = 0;

    /// Counters of `function` (zeros for an unknown name).
    virtual function_stats stats(std::string_view function) const = 0;

    /// Counters of all functions added up.
    virtual function_stats total_stats() const = 0;

    /// Adds (or replaces) a default variable of `function_host_options::environment` for
    /// instances started from now on. Thread-safe.
    virtual void set_environment(std::string name, std::string value) = 0;

    /// Fails pending invocations, stops every instance (SIGTERM, then SIGKILL after 500 ms) and
    /// the Runtime API thread. Idempotent.
    virtual void stop() = 0;
};

}  // namespace lift::gateway
