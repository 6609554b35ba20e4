/// @file context.hpp
/// What a handler sees for one event: the event, the caller's identity, per-request values,
/// a logger, the management API (`send`, `send_to`, `disconnect`, `connection_info`) and the
/// connection store.
///
///     app.on("ping", [](lift::context& ctx) { return ctx.send(R"({"pong":true})"); });
///     auto who = ctx.identity().subject;
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <lift/core/clock.hpp>
#include <lift/core/connection_api.hpp>
#include <lift/core/connection_store.hpp>
#include <lift/core/event.hpp>
#include <lift/core/identity.hpp>
#include <lift/core/identity_cache.hpp>
#include <lift/core/invocation.hpp>
#include <lift/core/log.hpp>
#include <lift/core/metrics.hpp>
#include <lift/core/result.hpp>

namespace lift {

/// Services a context reaches. Pointers must outlive every context built from them;
/// `api` and `store` may be null (the calls then fail with `errc::unavailable`).
struct context_services {
    connection_api* api = nullptr;       ///< management API (in-process or HTTPS)
    connection_store* store = nullptr;   ///< connection store
    const lift::clock* clock = nullptr;  ///< time source; null means the system clock
    log_sink* sink = nullptr;            ///< log destination; null means no logging
    log_level level = log_level::info;   ///< minimum log level
    /// The Lambda invocation being served (set by the Lambda loop), or null. Its trace id goes
    /// into every log line (`traceId`).
    const invocation_info* invocation = nullptr;
    /// This invocation's metrics recorder (flushed by the caller after `app::handle`); null
    /// means the context keeps a private one that nobody flushes.
    lift::metrics* metrics = nullptr;
    /// Debug lines below `level` are kept here (written by the caller only when the invocation
    /// fails); null means they are dropped.
    lift::log_buffer* log_buffer = nullptr;
    /// `functionName` on every log line (`AWS_LAMBDA_FUNCTION_NAME`); empty = left out.
    std::string function_name = {};
    /// `coldStart` on every log line: true on the first invocation of this instance; unset =
    /// left out.
    std::optional<bool> cold_start = {};
};

/// Per-event handler context. Not thread-safe: one event, one thread.
/// The event must outlive the context.
class context {
public:
    /// Builds a context for `ev`. `deadline_ms` is the absolute epoch-ms deadline
    /// (0 = none).
    context(const websocket_event& ev,
            const context_services& services,
            std::int64_t deadline_ms = 0);

    /// Not copyable or movable: the logger refers to a member when no sink is configured.
    context(const context&) = delete;
    context& operator=(const context&) = delete;

    /// The event being handled.
    const websocket_event& event() const noexcept { return *event_; }

    /// `requestContext.connectionId`.
    const std::string& connection_id() const noexcept { return event_->connection_id(); }

    /// `requestContext.routeKey`.
    const std::string& route_key() const noexcept { return event_->route_key(); }

    /// `requestContext.eventType`.
    event_type type() const noexcept { return event_->type(); }

    /// The message body parsed as JSON, or nullptr when there is no body or it is not JSON.
    /// Parsed once, on first use (or handed in by the gateway, which parsed it for routing).
    const boost::json::value* json_body();

    /// Hands in an already parsed body (avoids parsing twice).
    void set_json_body(boost::json::value v);

    /// The string member `name` of a JSON object body; nullptr when absent or not a string.
    const boost::json::string* body_string(std::string_view name);

    /// Who the caller is. On `$connect` middleware fills it and it is saved with the
    /// connection. On later events it comes from `requestContext.authorizer` when present,
    /// else from the identity cache (see `use_identity_cache`) or the stored connection record
    /// (loaded on first use and then put into the cache).
    lift::identity& identity();

    /// Uses `cache` for identities loaded from the store (`lift::app::handle` attaches the
    /// app's own cache when none is set). `cache` must outlive the context; null turns it off.
    void use_identity_cache(identity_cache* cache) noexcept { identity_cache_ = cache; }

    /// The identity cache in use, or nullptr.
    identity_cache* identities() const noexcept { return identity_cache_; }

    /// Replaces the identity (authentication middleware on `$connect`).
    void set_identity(lift::identity id);

    /// Free-form per-request values shared between middleware and handler.
    boost::json::object& values() noexcept { return values_; }

    /// Application data saved with the connection on a successful `$connect` (e.g. name, room).
    /// On later events, holds the stored record's metadata after `record()` was called.
    std::map<std::string, std::string>& metadata() noexcept { return metadata_; }

    /// This connection's stored record (loaded once); nullopt when not stored or expired.
    result<std::optional<connection_record>> record();

    /// A logger carrying request id, connection id, route key, trace id, function name and
    /// cold start.
    const logger& log() const noexcept { return log_; }

    /// This invocation's metrics (CloudWatch EMF), flushed once after the invocation by the
    /// Lambda loop or the gateway.
    lift::metrics& metrics() noexcept {
        return services_.metrics != nullptr ? *services_.metrics : own_metrics_;
    }

    /// The C++ type of the exception a handler or middleware threw (set by `app::handle`),
    /// or empty.
    const std::string& exception_type() const noexcept { return exception_type_; }

    /// Records the type of a caught exception (used by `app::handle`).
    void set_exception_type(std::string type) { exception_type_ = std::move(type); }

    /// Sends `data` to the caller's connection (PostToConnection to itself).
    [[nodiscard]] result<void> send(std::string_view data);

    /// Sends `data` to another connection.
    [[nodiscard]] result<void> send_to(std::string_view connection_id, std::string_view data);

    /// Closes a connection (DeleteConnection).
    [[nodiscard]] result<void> disconnect(std::string_view connection_id);

    /// GetConnection.
    [[nodiscard]] result<lift::connection_info> connection_info(std::string_view connection_id);

    /// The management API, or nullptr. `post_many` through it records `BroadcastDelivered`,
    /// `BroadcastGone` and `BroadcastFailed` in `metrics()`.
    connection_api* api() const noexcept {
        return services_.api != nullptr ? static_cast<connection_api*>(&metered_api_) : nullptr;
    }

    /// The Lambda invocation (request id, function ARN, trace id, client context, Cognito
    /// identity) when running under the Lambda loop; nullptr inside the local gateway.
    const invocation_info* invocation() const noexcept { return services_.invocation; }

    /// The connection store, or nullptr when the app has none.
    connection_store* store() const noexcept { return services_.store; }

    /// The clock in use.
    const lift::clock& clock() const noexcept;

    /// Milliseconds until the deadline (INT64_MAX when there is none; may be negative).
    std::int64_t remaining_ms() const noexcept;

private:
    // Discards every line; the logger's sink when `services.sink` is null.
    class null_sink final : public log_sink {
    public:
        void write(std::string_view) override {}
    };

    // Forwards to services_.api and counts post_many outcomes in the context's metrics.
    class metered_api final : public connection_api {
    public:
        explicit metered_api(context& ctx) noexcept : ctx_(ctx) {}

        result<void> post_to_connection(std::string_view id, std::string_view data) override;
        result<lift::connection_info> get_connection(std::string_view id) override;
        result<void> delete_connection(std::string_view id) override;
        std::vector<result<void>> post_many(std::span<const std::string> ids,
                                            std::string_view data) override;

    private:
        context& ctx_;
    };

    const websocket_event* event_;
    context_services services_;
    std::int64_t deadline_ms_;
    null_sink null_sink_;
    system_clock system_clock_;  // used when `services.clock` is null (stateless)
    logger log_;
    lift::metrics own_metrics_;
    mutable metered_api metered_api_{*this};
    std::string exception_type_;
    boost::json::object values_;
    std::map<std::string, std::string> metadata_;
    std::optional<boost::json::value> body_;
    bool body_parsed_ = false;
    std::optional<lift::identity> identity_;
    identity_cache* identity_cache_ = nullptr;
    std::optional<std::optional<connection_record>> record_;
};

}  // namespace lift
