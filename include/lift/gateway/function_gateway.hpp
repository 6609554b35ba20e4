/// @file function_gateway.hpp
/// The local gateway serving an `api_config` whose functions run out of process (any language)
/// through a `function_host`. Each route becomes a handler that sends the proxy event JSON
/// (`lift::serialize`) to its function and parses the proxy response (`lift::parse_reply`), so
/// in-process and out-of-process apps share event and response semantics, and a failed
/// invocation is answered as API Gateway answers it: 502 on `$connect`, the "Internal server
/// error" frame on message routes.
///
///     auto gw = lift::gateway::function_gateway::start(api, {.port = 0}, {}).value();
///     fmt::print("{}\n", gw->websocket_url());
///     gw->wait();
#pragma once

#include <memory>

#include <lift/core/app.hpp>
#include <lift/core/result.hpp>
#include <lift/gateway/function_host.hpp>
#include <lift/gateway/functions.hpp>
#include <lift/gateway/gateway.hpp>

namespace lift::gateway {

/// Builds the `lift::app` whose routes invoke `api`'s functions on `host`: every route of
/// `api.routes` (two-way as configured), the API's route selection expression. `host` must
/// outlive the app. Fails with `errc::invalid_argument` when a route names an unknown function,
/// a route key is invalid, or the expression does not parse.
[[nodiscard]] result<std::unique_ptr<lift::app>> make_function_app(const api_config& api,
                                                                   function_host& host);

/// The `$connect` authorizer of `api` (`api.authorizer`, which must be set) as a gateway
/// authorizer invoking its function on `host` with the REQUEST event JSON: a function error
/// whose `errorMessage` is "Unauthorized" becomes `unauthorized()` (401), any other failure or
/// an unparsable or over-8-KB response an error (500). `host` must outlive the result. Fails
/// with `errc::invalid_argument` when the function is not one of `api.functions`.
[[nodiscard]] result<connect_authorizer> make_function_authorizer(const api_config& api,
                                                                  function_host& host);

/// A gateway plus the function host and app behind it. Thread-safe as `gateway`. `stats()`
/// reports `cold_starts` as the number of `bootstrap` processes started.
class function_gateway final : public gateway {
public:
    /// Starts the function host (with `host_opts`) and a gateway (with `opts`) serving `api`.
    /// The gateway's worker pool is raised to the sum of the functions' `max_concurrency` so
    /// that overlapping invocations reach the host. Errors as `function_host::start`,
    /// `make_function_app` and `gateway::start`.
    [[nodiscard]] static result<std::unique_ptr<function_gateway>> start(
        const api_config& api, options opts, function_host_options host_opts);

    /// Stops the gateway (delivering `$disconnect` events), then the host.
    ~function_gateway() override;

    /// The functions (counters per function, direct invocation).
    function_host& host() noexcept { return *host_; }

    std::uint16_t port() const noexcept override { return gw_->port(); }

    std::string websocket_url() const override { return gw_->websocket_url(); }

    std::string http_url() const override { return gw_->http_url(); }

    std::string management_url() const override { return gw_->management_url(); }

    /// Stops the gateway, then the function host. Idempotent.
    void stop() override;

    void wait() override { gw_->wait(); }

    void handle_signals() override { gw_->handle_signals(); }

    connection_api& connections() noexcept override { return gw_->connections(); }

    lift::gateway::stats stats() const override;

private:
    function_gateway() = default;

    std::unique_ptr<function_host> host_;
    std::unique_ptr<lift::app> app_;
    std::unique_ptr<gateway> gw_;
};

}  // namespace lift::gateway
