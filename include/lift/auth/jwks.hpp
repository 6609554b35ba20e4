/// @file jwks.hpp
/// JSON Web Key Sets (RFC 7517): parsing RSA (`n`, `e`), EC P-256/P-384 (`x`, `y`) and, when
/// allowed, `oct` keys, and a cache that loads a JWKS from a file or an http(s) URL, refetches
/// at most once per interval for an unknown `kid`, and keeps its keys when a refetch fails.
///
///     auto jwks = lift::auth::jwks_cache::create({.url = "https://idp.example/jwks.json"},
///                                                transport, clock).value();
///     auto v = lift::auth::jwt_verifier::create({.algorithms = {jwt_algorithm::rs256}}, {}, jwks);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lift/auth/jwt.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/result.hpp>

namespace lift::auth {

/// How a JWKS document is read.
struct jwks_parse_options {
    /// Accept `kty: oct` (HMAC secrets). Off by default: a JWKS is usually public.
    bool allow_oct = false;
};

/// A parsed JWKS: the usable keys, plus the keys that were skipped and why (by `kid`), so a
/// token naming a skipped key gets a precise reason.
struct jwks_key_set {
    std::vector<jwt_key> keys;                   ///< usable verification keys
    std::map<std::string, std::string> skipped;  ///< kid → reason (keys with a kid only)
};

/// Parses a JWKS document (`{"keys":[...]}`). Keys with `use` other than `sig`, `key_ops`
/// without `verify`, an unknown `kty`/`crv`, an `alg` Lift does not support or that does not
/// fit the key type, RSA moduli under 2048 bits, or bad coordinates are skipped (listed in
/// `skipped` when they have a `kid`). A JWK `alg` pins the key to that algorithm. Fails with
/// `errc::key_fetch_failed` when the document is not JSON or has no `keys` array. Pure.
[[nodiscard]] result<jwks_key_set> parse_jwks(std::string_view json,
                                              const jwks_parse_options& options = {});

/// Where a `jwks_cache` gets its document and how often.
struct jwks_options {
    std::string url;   ///< `http(s)://host[:port]/path` (no query string); or
    std::string file;  ///< a local file (exactly one of `url` and `file`)
    /// Minimum time between two fetches triggered by lookups (an unknown `kid`, an expired
    /// cache, or a failed first load), in milliseconds.
    std::int64_t min_refetch_interval_ms = 10'000;
    /// Cached keys older than this are refetched on the next lookup (failures keep them).
    std::int64_t max_age_ms = 3'600'000;
    std::chrono::milliseconds fetch_timeout{5'000};  ///< bound of one HTTP fetch
    std::size_t max_bytes = 1024 * 1024;             ///< larger documents are rejected
    jwks_parse_options parse;                        ///< see `jwks_parse_options`
};

/// A JWKS loaded lazily (on the first lookup) and refreshed under a rate limit. A fetch that
/// fails (transport error, non-200, bad JSON, no usable key) keeps the keys already cached.
/// Thread-safe: one mutex, held during a fetch (concurrent lookups wait for it rather than
/// fetching again).
class jwks_cache {
public:
    /// Builds a cache. `transport` (needed for `url`) and `clock` must outlive the cache.
    /// Fails with `errc::bad_configuration` when neither or both of `url` and `file` are set,
    /// the URL does not parse, or a URL is given without a transport.
    [[nodiscard]] static result<std::shared_ptr<jwks_cache>> create(
        jwks_options options, lift::aws::http_transport* transport, const lift::clock& clock);

    jwks_cache(const jwks_cache&) = delete;
    jwks_cache& operator=(const jwks_cache&) = delete;

    /// The key with id `kid`. Loads the set when it was never loaded or is older than
    /// `max_age_ms`, and refetches once for an unknown `kid` — each at most once per
    /// `min_refetch_interval_ms`. Returns nullopt for an unknown `kid`; fails with
    /// `errc::bad_key` when the JWKS lists that `kid` but its key was skipped (the reason says
    /// why), and with `errc::key_fetch_failed` when nothing was ever loaded.
    [[nodiscard]] result<std::optional<jwt_key>> find(std::string_view kid);

    /// Every usable key (loading the set first if it was never loaded and the rate limit
    /// allows).
    [[nodiscard]] std::vector<jwt_key> keys();

    /// Fetches now, ignoring the rate limit. On failure the cached keys stay.
    [[nodiscard]] result<void> refresh();

    /// Fetch attempts so far (tests check the rate limit with it).
    [[nodiscard]] std::uint64_t fetch_count() const;

    /// The reason of the last failed fetch, empty after a success.
    [[nodiscard]] std::string last_error() const;

private:
    jwks_cache(jwks_options options,
               std::optional<lift::aws::endpoint> ep,
               lift::aws::http_transport* transport,
               const lift::clock& clock);

    result<jwks_key_set> fetch_document() const;
    // Caller holds mutex_. Fetches when the rate limit allows (or `force`).
    result<void> fetch_locked(bool force);
    bool may_fetch_locked(std::int64_t now) const noexcept;

    jwks_options options_;
    std::optional<lift::aws::endpoint> endpoint_;
    lift::aws::http_transport* transport_;
    const lift::clock* clock_;

    mutable std::mutex mutex_;
    std::optional<jwks_key_set> set_;
    std::int64_t loaded_at_ms_ = 0;
    std::optional<std::int64_t> last_attempt_ms_;
    std::uint64_t fetches_ = 0;
    std::string last_error_;
};

}  // namespace lift::auth
