/// @file rate_limit.hpp
/// Rate limits as middleware: token buckets keyed per connection, user, tenant, source IP or
/// route, each rule with its own rate and burst. Over a limit, `$connect` answers 429 and a
/// message route sends `{"message":"Too Many Requests","connectionId":…,"requestId":…}` to the
/// caller (one-way routes too); the handler does not run.
///
///     lift::protect::memory_rate_limit_store store;
///     lift::protect::limit_rule per_connection{.limit = {.rate_per_second = 5, .burst = 10}};
///     auto limiter = lift::protect::rate_limiter::create(store, {.rules = {per_connection}});
///     app.use(limiter.value().middleware());
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lift/core/context.hpp>
#include <lift/core/middleware.hpp>
#include <lift/core/result.hpp>
#include <lift/protect/rate_limit_store.hpp>
#include <lift/protect/token_bucket.hpp>

namespace lift::protect {

/// What a rule's buckets are keyed by.
enum class limit_key {
    connection = 1,  ///< `connectionId`: one bucket per connection (never applies to `$connect`)
    user = 2,        ///< `identity().subject`; events without a subject are not limited by it
    tenant = 3,      ///< `identity().tenant`; events without a tenant are not limited by it
    route = 4,       ///< the route key: one bucket per route shared by every caller
    source_ip = 5,   ///< `requestContext.identity.sourceIp`
};

/// "connection", "user", "tenant", "route" or "source_ip".
[[nodiscard]] std::string_view to_string(limit_key k) noexcept;

/// One limit: every event it applies to takes one token from the bucket of its key.
struct limit_rule {
    limit_key key = limit_key::connection;  ///< what the buckets are keyed by
    bucket_limit limit;                     ///< rate and burst of each bucket
    /// Route keys the rule applies to (`$connect`, `$default`, custom keys); empty = every
    /// route. `$disconnect` is never limited. Buckets are shared by all routes of the rule.
    std::vector<std::string> routes;
    /// Names the rule's buckets in the store; empty = `to_string(key)`. Must be unique among
    /// the rules and must not contain `#`. Changing it starts every bucket full again.
    std::string name;
};

/// What happens when the store fails (DynamoDB unreachable, throttled, ...).
enum class fail_mode {
    open = 1,    ///< admit the request (availability first); the failure is logged at warn
    closed = 2,  ///< reject it as over the limit (protection first); logged at warn
};

/// Settings of `rate_limiter`.
struct rate_limit_options {
    std::vector<limit_rule> rules;  ///< checked in order; the first exhausted one rejects
    fail_mode on_store_error = fail_mode::open;  ///< see `fail_mode`
    int connect_status = 429;                    ///< HTTP status of a rejected `$connect`
    std::string message = "Too Many Requests";   ///< `message` of the error frame
};

/// The decision for one event.
struct rate_verdict {
    bool admitted = true;             ///< false: over a limit (or the store failed, fail-closed)
    std::string rule;                 ///< name of the rule that rejected; empty when admitted
    std::int64_t retry_after_ms = 0;  ///< time until that bucket has a token again
};

/// Checks events against the rules. Immutable after `create`; `check` and the middleware are
/// thread-safe when the store is (every provided store is). The store must outlive the limiter
/// and every middleware made from it.
///
/// Rules are checked in order and stop at the first rejection; tokens already taken from
/// earlier rules' buckets for a rejected event are not given back (a rejected client spends a
/// little of its other budgets). Register the middleware after authentication middleware, so
/// `user`/`tenant` rules see the identity on `$connect`.
class rate_limiter {
public:
    /// Validates `options` (every rule: rate > 0, burst >= 1, unique names without `#`,
    /// routes not `$disconnect`; connect_status 400–599) and builds a limiter over `store`.
    /// Errors: `errc::invalid_argument` naming the rule and what is wrong.
    [[nodiscard]] static result<rate_limiter> create(rate_limit_store& store,
                                                     rate_limit_options options);

    /// Takes a token from each applicable bucket of the event in `ctx` (time from
    /// `ctx.clock()`, remote calls bounded by `ctx.remaining_ms()`). Store failures follow
    /// `on_store_error` and are logged on `ctx.log()`.
    [[nodiscard]] rate_verdict check(context& ctx) const;

    /// The middleware: `check`, then either `next(ctx)` or a rejection (`reject` in
    /// rejection.hpp): on `$connect` `connect_status` with a `Retry-After` header (whole
    /// seconds, rounded up; "0" when the store failed closed), on message routes the error
    /// frame with `message` and status 429.
    [[nodiscard]] lift::middleware middleware() const;

    /// The options in use.
    [[nodiscard]] const rate_limit_options& options() const noexcept { return config_->options; }

private:
    struct config {
        rate_limit_options options;
        rate_limit_store* store = nullptr;
    };

    explicit rate_limiter(std::shared_ptr<const config> c) : config_(std::move(c)) {}

    std::shared_ptr<const config> config_;
};

}  // namespace lift::protect
