/// @file jwt.hpp
/// JSON Web Token (RFC 7519) verification on OpenSSL EVP: an explicit algorithm allowlist,
/// keys bound to their algorithm family (an RSA or EC public key never verifies an HMAC
/// token, `alg: none` is never accepted), `kid` used only as a map key, `exp`/`nbf`/`iat`
/// with a leeway, and required `iss`/`aud` when configured. See docs/security.md.
///
///     auto key = lift::auth::jwt_key::from_pem_file("/etc/app/jwt.pem").value();
///     auto v = lift::auth::jwt_verifier::create({.algorithms =
///     {lift::auth::jwt_algorithm::rs256}},
///                                               {key}).value();
///     auto claims = v.verify(token, clock.now_ms());  // result<boost::json::object>
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include <lift/auth/error.hpp>
#include <lift/core/result.hpp>

namespace lift::auth {

class jwks_cache;

/// The JWS algorithms Lift verifies (RFC 7518 names). There is deliberately no `none`.
enum class jwt_algorithm { hs256 = 1, hs384, hs512, rs256, rs384, rs512, es256, es384, ps256 };

/// The RFC 7518 name ("HS256", ...).
[[nodiscard]] std::string_view to_string(jwt_algorithm alg) noexcept;

/// Parses an RFC 7518 name, case-sensitively as RFC 7515 requires ("hs256" is not "HS256");
/// nullopt for anything else, `none` included.
[[nodiscard]] std::optional<jwt_algorithm> parse_jwt_algorithm(std::string_view name) noexcept;

/// What kind of key a `jwt_key` holds; decides which algorithms it may verify.
enum class key_kind {
    hmac = 1,  ///< a shared secret: HS256/384/512 only
    rsa,       ///< an RSA public key (>= 2048 bits): RS256/384/512 and PS256
    ec_p256,   ///< an EC P-256 public key: ES256 only
    ec_p384,   ///< an EC P-384 public key: ES384 only
};

/// A verification key bound to its algorithm family, with an optional key id and an optional
/// pinned algorithm (a JWK's `alg`). Immutable; cheap to copy (shares the key); thread-safe.
class jwt_key {
public:
    /// Smallest accepted HMAC secret, in bytes (RFC 7518 §3.2 asks for at least the hash size;
    /// HS384/HS512 tokens additionally need 48/64 bytes).
    static constexpr std::size_t min_hmac_bytes = 32;

    /// Smallest accepted RSA modulus, in bits.
    static constexpr int min_rsa_bits = 2048;

    /// An HMAC key from the raw secret bytes. Fails with `errc::bad_key` when shorter than
    /// `min_hmac_bytes`.
    [[nodiscard]] static result<jwt_key> hmac(std::string_view secret, std::string kid = {});

    /// A public key from PEM text: `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo) or an
    /// X.509 `CERTIFICATE`. RSA keys must have at least `min_rsa_bits`; EC keys must be on
    /// P-256 or P-384. Private keys and other types fail with `errc::bad_key`.
    [[nodiscard]] static result<jwt_key> from_pem(std::string_view pem, std::string kid = {});

    /// `from_pem` on the contents of file `path` (`errc::bad_key` when it cannot be read).
    [[nodiscard]] static result<jwt_key> from_pem_file(const std::string& path,
                                                       std::string kid = {});

    /// The same key restricted to `alg`; fails with `errc::bad_key` when the key's family
    /// does not allow `alg` (an RSA key pinned to HS256, say).
    [[nodiscard]] result<jwt_key> pinned_to(jwt_algorithm alg) const;

    /// The same key with key id `kid`.
    [[nodiscard]] jwt_key with_kid(std::string kid) const;

    /// The key's kind.
    [[nodiscard]] key_kind kind() const noexcept;

    /// The key id (empty when none).
    [[nodiscard]] const std::string& kid() const noexcept;

    /// The pinned algorithm, if any.
    [[nodiscard]] std::optional<jwt_algorithm> pinned() const noexcept;

    /// True when this key may verify tokens signed with `alg` (family and pin).
    [[nodiscard]] bool allows(jwt_algorithm alg) const noexcept;

    /// Key size in bits (HMAC: secret length * 8).
    [[nodiscard]] int bits() const noexcept;

    /// Implementation detail (holds the OpenSSL key); public only so src/auth can build keys.
    struct impl;

    /// Implementation detail: wraps an impl built by src/auth.
    explicit jwt_key(std::shared_ptr<const impl> p) : impl_(std::move(p)) {}

    /// Implementation detail: the key material.
    [[nodiscard]] const impl& detail() const noexcept { return *impl_; }

private:
    std::shared_ptr<const impl> impl_;
};

/// Settings of a `jwt_verifier`.
struct jwt_options {
    /// Algorithms accepted; must not be empty. A token whose `alg` is not listed is rejected
    /// before any key is looked at.
    std::vector<jwt_algorithm> algorithms;
    /// Required `iss` (exact match) when not empty.
    std::string issuer;
    /// When not empty, the token's `aud` (string or array of strings) must contain one of these.
    std::vector<std::string> audiences;
    /// Clock skew allowed for `exp`, `nbf` and `iat`, in seconds (0 to 366 days).
    std::int64_t leeway_seconds = 60;
    /// Reject tokens without `exp` (default). Off only for tokens with another expiry scheme.
    bool require_exp = true;
    /// Longer tokens are rejected before any decoding.
    std::size_t max_token_bytes = 8 * 1024;
    /// Accepted header `typ` values (compared case-insensitively); `typ` itself is optional.
    std::vector<std::string> allowed_types = {"JWT", "at+jwt", "application/at+jwt"};
};

/// Verifies compact JWS tokens against fixed keys and/or a JWKS. Immutable after `create`;
/// `verify` is thread-safe (the JWKS cache locks internally).
class jwt_verifier {
public:
    /// Builds a verifier. `keys` may be empty when `jwks` is set. Fails with
    /// `errc::bad_configuration` when the allowlist is empty, the leeway negative, no key
    /// source is given, or no key can verify any allowed algorithm. `jwks` (may be null) is
    /// shared with the caller.
    [[nodiscard]] static result<jwt_verifier> create(jwt_options options,
                                                     std::vector<jwt_key> keys,
                                                     std::shared_ptr<jwks_cache> jwks = nullptr);

    /// Verifies `token` at time `now_ms` (Unix epoch ms) and returns its claims. Errors carry
    /// a `lift::auth::errc` and a specific reason (never the token): size, segments, strict
    /// base64url, header (`alg` none/unknown/not allowed, `crit`, `typ`), key (`kid` unknown,
    /// no key for the algorithm), signature, claims (`exp` required/expired, `nbf`/`iat` in the
    /// future, `iss`, `aud`). The `kid` is only a lookup key: with a `kid`, the fixed key with
    /// that id, else the JWKS key with that id, else the fixed keys configured without a kid
    /// are tried; without a `kid`, every key allowing the algorithm is.
    [[nodiscard]] result<boost::json::object> verify(std::string_view token,
                                                     std::int64_t now_ms) const;

    /// The settings in use.
    [[nodiscard]] const jwt_options& options() const noexcept { return options_; }

private:
    jwt_verifier(jwt_options options, std::vector<jwt_key> keys, std::shared_ptr<jwks_cache> jwks);

    jwt_options options_;
    std::vector<jwt_key> keys_;
    std::shared_ptr<jwks_cache> jwks_;
};

namespace detail {

/// Strict base64url (RFC 4648 §5) without padding: rejects `=`, `+`, `/`, whitespace, any
/// other character, impossible lengths and non-zero trailing bits. Exposed for tests.
[[nodiscard]] std::optional<std::string> decode_base64url(std::string_view text);

/// base64url without padding. Exposed for tests.
[[nodiscard]] std::string encode_base64url(std::string_view bytes);

}  // namespace detail

}  // namespace lift::auth
