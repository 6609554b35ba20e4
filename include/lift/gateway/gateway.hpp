/// @file gateway.hpp
/// A local API Gateway WebSocket API on loopback that runs a `lift::app` in-process: the
/// `$connect`-before-101 handshake, route selection, two-way routes, AWS's error frames, size
/// limits and close codes, idle and lifetime timers, `$disconnect` events, and the
/// `@connections` management API over HTTP. Handlers run on a worker pool that plays Lambda
/// instances; the network thread never blocks.
///
///     auto gw = lift::gateway::gateway::start(app, {.port = 0}).value();
///     fmt::print("{}\n", gw->websocket_url());   // ws://127.0.0.1:PORT/dev
///     gw->wait();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lift/core/app.hpp>
#include <lift/core/authorizer.hpp>
#include <lift/core/connection_api.hpp>
#include <lift/core/log.hpp>
#include <lift/core/protocol.hpp>
#include <lift/core/result.hpp>

namespace lift::gateway {

/// A file served from memory at a path (e.g. an example's page embedded in its binary).
struct static_file {
    std::string content_type;  ///< e.g. "text/html; charset=utf-8"
    std::string body;          ///< the bytes
};

/// A `@connections` request as received, shown to `options::authorize_management`. Views are
/// valid only during the call.
struct management_call {
    std::string_view method;  ///< `POST`, `GET`, `DELETE`, ...
    std::string_view target;  ///< the raw request target (path and query), not decoded
    std::span<const std::pair<std::string_view, std::string_view>> headers;  ///< as received
    std::string_view body;                                                   ///< request body
};

/// Why `authorize_management` refused a request: the response the gateway sends instead.
struct management_refusal {
    int status = 403;        ///< HTTP status
    std::string error_type;  ///< `x-amzn-ErrorType` header value
    std::string body;        ///< JSON body, e.g. `{"message":"Missing Authentication Token"}`
};

/// A Lambda REQUEST authorizer on `$connect` (aws-reference §3.3). Before `$connect` runs, the
/// gateway checks every identity source (any missing or empty → 401, `invoke` not called), then
/// calls `invoke` on the worker pool with the authorizer event (`methodArn` =
/// `arn:aws:execute-api:{region}:{account_id}:{apiId}/{stage}/$connect`): `unauthorized()` →
/// 401; a Deny, or no Allow whose resource matches the method ARN → 403; any other error, a
/// response over 8 KB, or no answer within the integration timeout → 500. On Allow, `$connect`
/// and every later event of the connection get `requestContext.authorizer` =
/// `{"principalId": ..., <context>...}`.
struct connect_authorizer {
    /// `route.request.header.<Name>` / `route.request.querystring.<Name>`; checked when the
    /// gateway starts (a bad one fails `start` with `errc::invalid_argument`). May be empty
    /// (the authorizer is then called for every handshake).
    std::vector<std::string> identity_sources;
    /// The authorizer; must be set. Called on worker threads, possibly concurrently.
    authorizer_function invoke;
    /// Name shown in log lines (e.g. the function name).
    std::string name = "authorizer";
};

/// Gateway settings. Every field has an `--option` and a `LIFT_*` variable in `lift::run`.
struct options {
    std::string host = "127.0.0.1";               ///< address to bind (loopback by default)
    std::uint16_t port = 3001;                    ///< 0 = any free port (see `gateway::port()`)
    std::string stage = "dev";                    ///< stage name: `ws://host:port/{stage}`
    std::int64_t idle_timeout_seconds = 600;      ///< close 1001 "Going away" after this idle time
    std::int64_t max_lifetime_seconds = 7200;     ///< close 1001 "Going away" at this age
    std::int64_t integration_timeout_ms = 29000;  ///< a handler slower than this has failed
    unsigned workers = 4;  ///< handler threads ("Lambda instances"); 0 = number of cores
    std::string route_selection_expression;  ///< empty = the app's (default `$request.body.action`)
    std::string static_dir;                  ///< serve files from here at `/` (GET/HEAD)
    std::map<std::string, static_file> static_files;  ///< in-memory files by path ("/" = index)
    std::size_t outbound_queue_limit = 1024 * 1024;   ///< bytes queued per client before 429
    std::size_t max_connections = 20000;              ///< further handshakes get 503
    /// Messages of one connection waiting for their turn (they run one at a time). Past this a
    /// message is answered like a throttled invocation (the "Internal server error" frame), so
    /// a client flooding a slow route cannot grow the gateway's memory without bound.
    std::size_t max_pending_messages = 1000;
    /// Largest data frame a client may send; larger → close 1009. AWS: 32 KiB.
    std::size_t max_frame_bytes = protocol::max_frame_bytes;
    /// Largest message a client may send (all its fragments); larger → close 1009. Also the
    /// largest `@connections` payload when above AWS's 128 KiB. AWS: 128 KiB. Raising either
    /// limit departs from API Gateway (the conformance catalogue's `protocol` profile does).
    std::size_t max_message_bytes = protocol::max_message_bytes;
    std::string region = "us-east-1";         ///< used in ids and ARNs
    std::string account_id = "123456789012";  ///< account in the authorizer's `methodArn`
    log_level level = log_level::info;        ///< gateway log level (stderr)

    /// Lambda authorizer on `$connect`; nullopt = none (see `connect_authorizer`).
    std::optional<connect_authorizer> authorizer;

    /// Origins a browser handshake may come from, e.g. `https://app.example.com` (scheme, host
    /// and optional port; no path). A handshake whose `Origin` is not one of them is answered
    /// 403 before `$connect` runs. Scheme and host compare case-insensitively, the rest
    /// exactly. Empty = every origin. A malformed entry fails `start` (`errc::invalid_argument`).
    std::vector<std::string> allowed_origins;
    /// When true, a handshake without an `Origin` header is refused (403) too; by default it is
    /// allowed, since non-browser clients send none (and can forge any value anyway).
    bool require_origin = false;

    /// Checks every `@connections` request before it is served (e.g. SigV4, which `lift::run`
    /// supplies for `--verify-sigv4`); returning a refusal answers with it instead. Called on
    /// the network thread: must be quick, must not block, must be thread-safe. Empty = allow
    /// all (the default; AWS always requires SigV4).
    std::function<std::optional<management_refusal>(const management_call&)> authorize_management;

    /// Replaces the management API handlers see (`context::send` ...) with the one this returns,
    /// e.g. an HTTP client of the gateway's own `@connections` endpoint (`LIFT_MANAGEMENT_MODE=
    /// http`). Called once inside `start`, after the port is bound and before any connection is
    /// accepted, with `management_url()` and the in-process API; the gateway owns the result and
    /// destroys it after the workers stopped. An error fails `start`. Empty = in-process API.
    std::function<result<std::unique_ptr<connection_api>>(const std::string& management_url,
                                                          connection_api& in_process)>
        handler_connection_api;
};

/// Counters since start. Values are a consistent-enough snapshot for display and tests.
struct stats {
    std::uint64_t connections_opened = 0;    ///< handshakes answered 101
    std::uint64_t connections_rejected = 0;  ///< handshakes refused by `$connect` or limits
    std::uint64_t connections_closed = 0;    ///< closed for any reason
    std::uint64_t connections_open = 0;      ///< currently open
    std::uint64_t messages_in = 0;           ///< text messages received
    std::uint64_t messages_out = 0;          ///< text messages sent
    std::uint64_t invocations = 0;           ///< handler calls (all routes)
    std::uint64_t invocation_errors = 0;     ///< failed or timed-out handler calls
    /// "Lambda instances" started: worker threads for an in-process app, `bootstrap`
    /// processes for out-of-process functions (`function_gateway`).
    std::uint64_t cold_starts = 0;
};

/// A running gateway. Thread-safe. Destroying it stops it (as `stop()`).
class gateway {
public:
    /// Binds, starts the network thread and the workers, and returns once it accepts
    /// connections. `app` must outlive the gateway and must not be reconfigured while it runs.
    /// Fails with `errc::unavailable` when the address cannot be bound and
    /// `errc::invalid_argument` for bad options (e.g. a bad route selection expression).
    [[nodiscard]] static result<std::unique_ptr<gateway>> start(const lift::app& app, options opts);

    virtual ~gateway() = default;

    /// The bound port (useful with `port = 0`).
    virtual std::uint16_t port() const noexcept = 0;

    /// `ws://host:port/{stage}`.
    virtual std::string websocket_url() const = 0;

    /// `http://host:port/` (page and static files).
    virtual std::string http_url() const = 0;

    /// `http://host:port/{stage}` — the `@connections` endpoint to give an SDK.
    virtual std::string management_url() const = 0;

    /// Graceful stop: stops accepting, closes every socket with 1001 "Going away", delivers
    /// the `$disconnect` events, and returns within ~2 s. Idempotent.
    virtual void stop() = 0;

    /// Blocks until the gateway has stopped (by `stop()` or SIGINT/SIGTERM when
    /// `handle_signals()` was called).
    virtual void wait() = 0;

    /// Makes SIGINT and SIGTERM stop the gateway gracefully.
    virtual void handle_signals() = 0;

    /// The in-process management API (what handlers' `send` uses, unless
    /// `options::handler_connection_api` replaced it for them).
    virtual connection_api& connections() noexcept = 0;

    /// Counters since start.
    virtual lift::gateway::stats stats() const = 0;
};

}  // namespace lift::gateway
