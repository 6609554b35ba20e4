/// @file idempotency_store.hpp
/// Where idempotency records live: the `idempotency_store` interface (take an in-progress
/// lock, complete it with the response, release it) and `memory_idempotency_store`.
/// `dynamodb_idempotency_store.hpp` shares records between Lambda instances.
///
///     lift::protect::memory_idempotency_store store;
///     auto b = store.begin("c#abc", "owner-1", now + 29000, now);
///     if (b && b->state == lift::protect::begin_state::acquired) { ...; store.complete(...); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <lift/core/result.hpp>

namespace lift::protect {

/// The part of a handler's reply that is stored and replayed.
struct stored_reply {
    int status_code = 200;            ///< `statusCode`
    std::optional<std::string> body;  ///< `body`, when the handler returned one
};

/// What `begin` found.
enum class begin_state {
    acquired = 1,     ///< no live record: the caller holds the lock and must run the request
    in_progress = 2,  ///< another caller holds an unexpired lock
    completed = 3,    ///< the request ran before: `reply` holds its stored response
};

/// The outcome of `begin`.
struct begin_result {
    begin_state state = begin_state::acquired;  ///< see `begin_state`
    stored_reply reply;                         ///< the stored response when `state == completed`
};

/// Storage of idempotency records keyed by an opaque string. Implementations are thread-safe.
class idempotency_store {
public:
    virtual ~idempotency_store() = default;

    /// Takes the lock of `key` for `owner` until `lock_until_ms` (epoch ms) unless a completed
    /// record or an unexpired lock exists at `now_ms`. Atomic: of concurrent callers exactly one
    /// gets `acquired`. An expired lock is taken over (its owner ran out of time).
    [[nodiscard]] virtual result<begin_result> begin(std::string_view key,
                                                     std::string_view owner,
                                                     std::int64_t lock_until_ms,
                                                     std::int64_t now_ms) = 0;

    /// Stores `reply` as the completed response of `key`, kept until `expires_at_ms`. Only the
    /// lock's `owner` may complete; if the lock was taken over meanwhile the call succeeds and
    /// changes nothing (the new owner's result wins).
    [[nodiscard]] virtual result<void> complete(std::string_view key,
                                                std::string_view owner,
                                                const stored_reply& reply,
                                                std::int64_t expires_at_ms) = 0;

    /// Drops the lock of `key` if `owner` still holds it (the request failed; a retry may run
    /// at once).
    [[nodiscard]] virtual result<void> release(std::string_view key, std::string_view owner) = 0;
};

/// Settings of `memory_idempotency_store`.
struct memory_idempotency_options {
    /// The most records kept. Past it, expired records are dropped; if none are, the record
    /// expiring first is (its key could then run again).
    std::size_t max_records = 100'000;
};

/// Idempotency records in process memory (one gateway or one Lambda instance). Thread-safe.
class memory_idempotency_store final : public idempotency_store {
public:
    /// A store with `options`.
    explicit memory_idempotency_store(memory_idempotency_options options = {})
        : options_(options) {}

    memory_idempotency_store(const memory_idempotency_store&) = delete;
    memory_idempotency_store& operator=(const memory_idempotency_store&) = delete;

    /// See `idempotency_store::begin`; never fails.
    [[nodiscard]] result<begin_result> begin(std::string_view key,
                                             std::string_view owner,
                                             std::int64_t lock_until_ms,
                                             std::int64_t now_ms) override;

    /// See `idempotency_store::complete`; never fails.
    [[nodiscard]] result<void> complete(std::string_view key,
                                        std::string_view owner,
                                        const stored_reply& reply,
                                        std::int64_t expires_at_ms) override;

    /// See `idempotency_store::release`; never fails.
    [[nodiscard]] result<void> release(std::string_view key, std::string_view owner) override;

    /// Records held, live or expired (for tests).
    [[nodiscard]] std::size_t size() const;

private:
    struct record {
        bool completed = false;
        std::string owner;
        std::int64_t expires_ms = 0;  // lock expiry or completed-record expiry
        stored_reply reply;
    };

    void make_room(std::int64_t now_ms);

    memory_idempotency_options options_;
    mutable std::mutex mutex_;
    std::map<std::string, record, std::less<>> records_;
};

}  // namespace lift::protect
