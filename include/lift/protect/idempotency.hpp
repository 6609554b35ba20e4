/// @file idempotency.hpp
/// Idempotent message routes: a message carrying a client message id (default: the `id` member
/// of the JSON body) runs at most once per scope; duplicates get the stored reply back.
///
///     lift::protect::memory_idempotency_store store;
///     auto idem = lift::protect::idempotency::create(store, {.id_pointer = "/id"});
///     app.use(idem.value().middleware());
///
/// What a duplicate gets:
/// - the first request still running (lock held): the error frame
///   `{"message":"Request already in progress","id":…,"connectionId":…,"requestId":…}`
///   (status 409), at once — duplicates do not wait, which would spend their own invocation time;
/// - the first request completed: its stored reply (`statusCode` and `body`) is returned again
///   without running the handler. On a two-way route the client therefore receives the same
///   reply frame again. Frames the handler sent itself with `ctx.send`/`send_to` are NOT
///   recorded or re-sent: on a one-way route a duplicate of a completed message runs nothing and
///   sends nothing;
/// - the first request failed (the handler returned an error or threw): the lock is released
///   and nothing is stored, so a retry runs the handler again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <lift/core/context.hpp>
#include <lift/core/middleware.hpp>
#include <lift/core/result.hpp>
#include <lift/protect/idempotency_store.hpp>

namespace lift::protect {

/// Whose messages share one id space.
enum class idempotency_scope {
    connection = 1,  ///< ids are unique per connection (default)
    user = 2,        ///< per `identity().subject` across connections (reconnects keep their
                     ///< ids); events without a subject fall back to the connection
};

/// Settings of `idempotency`.
struct idempotency_options {
    /// JSON pointer (RFC 6901) of the client message id in the body. The value must be a
    /// non-empty string or an integer; a message without one is not deduplicated (unless
    /// `require_id`).
    std::string id_pointer = "/id";
    idempotency_scope scope = idempotency_scope::connection;  ///< see `idempotency_scope`
    /// Route keys (message routes) to deduplicate; empty = every message route.
    std::vector<std::string> routes;
    /// true: a message on a covered route without a usable id is rejected (status 400,
    /// `{"message":"Missing idempotency key","pointer":…}`).
    bool require_id = false;
    /// How long a completed reply is kept for replay, in seconds.
    std::int64_t completed_ttl_seconds = 3600;
    /// Lock lifetime when the invocation has no deadline (`ctx.remaining_ms()` is unbounded).
    /// With a deadline, the lock expires at the deadline, so a retry after a timed-out
    /// invocation can run.
    std::int64_t default_lock_ms = 30'000;
    /// Longest accepted id, in bytes; longer ids are rejected (status 400, "Invalid
    /// idempotency key") — they would not fit a DynamoDB key.
    std::size_t max_id_bytes = 256;
    /// What happens when the store fails: `true` runs the handler anyway (not deduplicated,
    /// logged at warn); `false` (default) answers the generic error frame via a failed result.
    bool run_on_store_error = false;
};

/// Deduplicates messages by client message id. Immutable after `create`; the middleware is
/// thread-safe when the store is (both provided stores are). The store must outlive the object
/// and every middleware made from it. Only MESSAGE events are considered.
class idempotency {
public:
    /// Validates `options` (a well-formed pointer, positive TTLs and limits) and builds the
    /// object. Errors: `errc::invalid_argument` saying which option is wrong.
    [[nodiscard]] static result<idempotency> create(idempotency_store& store,
                                                    idempotency_options options);

    /// The store key of the event in `ctx` (scope, route key and id, `#`-separated with `#`
    /// and `%` percent-encoded in each part), or nullopt when the event is not covered or has
    /// no usable id.
    [[nodiscard]] std::optional<std::string> key_of(context& ctx) const;

    /// The middleware (see the file comment for what duplicates get).
    [[nodiscard]] lift::middleware middleware() const;

    /// The options in use.
    [[nodiscard]] const idempotency_options& options() const noexcept { return config_->options; }

private:
    struct config {
        idempotency_options options;
        idempotency_store* store = nullptr;
    };

    explicit idempotency(std::shared_ptr<const config> c) : config_(std::move(c)) {}

    std::shared_ptr<const config> config_;
};

}  // namespace lift::protect
