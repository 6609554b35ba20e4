/// @file app.hpp
/// A Lift application: routes (`$connect`, `$disconnect`, `$default`, custom keys), two-way
/// flags, middleware, and the connection store. The same object runs under the Lambda loop and
/// inside the local gateway.
///
///     lift::app app;
///     app.on("$default", [](lift::context& ctx) { return ctx.send(*ctx.event().body); });
///     app.on("ping", [](lift::context&) { return lift::reply::text("pong"); }, {.two_way = true});
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <lift/core/connection_store.hpp>
#include <lift/core/context.hpp>
#include <lift/core/identity_cache.hpp>
#include <lift/core/middleware.hpp>
#include <lift/core/reply.hpp>
#include <lift/core/result.hpp>
#include <lift/core/route_selection.hpp>

namespace lift {

/// Per-route settings.
struct route_options {
    /// Two-way route (API Gateway route response `$default`): a non-empty `body` the handler
    /// returns is sent back to the caller as one text frame. One-way routes send nothing back.
    bool two_way = false;
};

/// A registered route.
struct route {
    std::string key;        ///< route key
    lift::handler handler;  ///< what runs
    route_options options;  ///< settings
};

/// Routes, middleware and store of an application. Configure it before serving; afterwards
/// `handle` is thread-safe (it only reads the configuration).
class app {
public:
    app();

    /// Registers `fn` for `route_key`, replacing an earlier registration of the same key.
    /// `fn` takes `context&` and returns `void`, `reply` or `result<reply>`. Custom keys must
    /// not start with `$` other than `$connect`, `$disconnect`, `$default` (AWS rule);
    /// violating that throws std::invalid_argument (a programming error at start-up).
    template <class F>
    app& on(std::string route_key, F&& fn, route_options options = {}) {
        return add_route(std::move(route_key), wrap(std::forward<F>(fn)), options);
    }

    /// Shorthand for `on("$connect", fn)`. Non-2xx replies reject the handshake with that
    /// status; nothing is stored for a rejected connection.
    template <class F>
    app& on_connect(F&& fn) {
        return on(std::string{"$connect"}, std::forward<F>(fn));
    }

    /// Shorthand for `on("$disconnect", fn)`; its reply is ignored.
    template <class F>
    app& on_disconnect(F&& fn) {
        return on(std::string{"$disconnect"}, std::forward<F>(fn));
    }

    /// Shorthand for `on("$default", fn, options)`.
    template <class F>
    app& on_default(F&& fn, route_options options = {}) {
        return on(std::string{"$default"}, std::forward<F>(fn), options);
    }

    /// Appends a middleware; the first added runs outermost.
    app& use(middleware mw);

    /// Uses `store` for connection records (the app owns it).
    app& use_store(std::unique_ptr<connection_store> store);

    /// The connection store, or nullptr when none was set.
    connection_store* store() const noexcept { return store_.get(); }

    /// When true (default) and a store is set, a successful `$connect` saves a
    /// connection_record (identity, metadata, TTL) and `$disconnect` removes it.
    app& record_connections(bool on) noexcept {
        record_connections_ = on;
        return *this;
    }

    /// TTL of saved records in seconds (default: `default_record_ttl_seconds`).
    app& record_ttl_seconds(std::int64_t seconds) noexcept {
        record_ttl_seconds_ = seconds;
        return *this;
    }

    /// Recovery (on by default): a failed `$connect` (a handler or middleware threw or returned
    /// an error, or the record could not be saved) answers a 500 reply instead of failing the
    /// invocation, so the client sees a plain 500 and the Lambda does not fail. Message routes
    /// still fail the invocation, which makes API Gateway (and the local gateway) send the
    /// generic `{"message": "Internal server error", ...}` frame. Either way the exception text
    /// never reaches the client; the error log line carries it. Off: `$connect` failures are
    /// returned as errors (502 from API Gateway).
    app& recover(bool on) noexcept {
        recover_ = on;
        return *this;
    }

    /// Whether recovery is on.
    bool recovers() const noexcept { return recover_; }

    /// When true (default), `handle` records the standard metrics in `ctx.metrics()`:
    /// ConnectionsOpened, ConnectionsClosed, Messages and MessageBytes (dimension `route`),
    /// HandlerLatency (ms, dimension `route`) and Errors (dimension `errorType`).
    app& standard_metrics(bool on) noexcept {
        standard_metrics_ = on;
        return *this;
    }

    /// Settings of the per-container identity cache (default: 30 s TTL, 10 000 entries):
    /// identities loaded from the store on message events are reused for `ttl_ms`;
    /// `$disconnect` drops the connection's entry. Call before serving.
    app& identity_cache_options(lift::identity_cache_options options);

    /// The app's identity cache (thread-safe).
    lift::identity_cache& identities() const noexcept { return *identities_; }

    /// Sets the route selection expression used by the local gateway (on AWS it is part of the
    /// API's configuration). Throws std::invalid_argument when it does not parse.
    app& route_selection(std::string_view expression);

    /// The route selection expression.
    const route_selection_expression& route_selection() const noexcept { return selection_; }

    /// The route registered for `key`, or nullptr.
    const route* find(std::string_view key) const noexcept;

    /// Registered route keys (including `$connect`/`$disconnect` when present).
    std::vector<std::string> route_keys() const;

    /// Handles one event: runs middleware and the route's handler, catches exceptions
    /// (→ `errc::handler_failed`, type in `ctx.exception_type()`), and keeps the store in step
    /// (`$connect` success saves the record, `$disconnect` removes it). Every failure is logged
    /// at error level with `errorType`, `errorMessage` and `exceptionType`; the standard metrics
    /// are recorded (see `standard_metrics`); with recovery on, a failed `$connect` becomes a
    /// 500 reply (see `recover`). At debug level (or into the context's log buffer) the event
    /// is logged with credentials redacted (`event_summary`). A missing `$connect`/`$disconnect`
    /// route answers 200; a message route that does not exist fails with `errc::no_route`.
    /// Thread-safe as long as the configuration is not changed concurrently.
    /// When `ctx` has no identity cache, the app's own (`identities()`) is attached to it;
    /// `$disconnect` drops the connection's cached identity after the handler ran.
    /// Records are saved to and removed from the app's own store; the context reads through
    /// `ctx.store()`, which `handle` does not change: callers set
    /// `context_services::store = app.store()`. If saving the record of an accepted `$connect`
    /// fails, the connection is refused like any failed `$connect` (500 with recovery on; the
    /// error is returned with it off, which API Gateway answers with 502); a failed removal on
    /// `$disconnect` is only logged.
    [[nodiscard]] result<reply> handle(context& ctx) const;

private:
    template <class F>
    static handler wrap(F&& fn) {
        using r = std::invoke_result_t<F&, context&>;
        if constexpr (std::is_void_v<r>) {
            return [f = std::forward<F>(fn)](context& c) mutable -> result<reply> {
                f(c);
                return reply::ok();
            };
        } else if constexpr (std::is_same_v<std::decay_t<r>, result<void>>) {
            return [f = std::forward<F>(fn)](context& c) mutable -> result<reply> {
                auto res = f(c);
                if (!res) {
                    return res.error();
                }
                return reply::ok();
            };
        } else {
            return handler{std::forward<F>(fn)};
        }
    }

    app& add_route(std::string key, handler fn, route_options options);
    result<reply> run_chain(context& ctx, const route* r) const;
    result<void> after_connect(context& ctx) const;
    result<reply> dispatch(context& ctx) const;

    std::map<std::string, route, std::less<>> routes_;
    std::vector<middleware> middleware_;
    std::unique_ptr<connection_store> store_;
    // Behind a pointer so the app stays movable (the cache holds a mutex).
    std::unique_ptr<lift::identity_cache> identities_;
    route_selection_expression selection_;
    bool record_connections_ = true;
    bool recover_ = true;
    bool standard_metrics_ = true;
    std::int64_t record_ttl_seconds_ = default_record_ttl_seconds;
};

}  // namespace lift
