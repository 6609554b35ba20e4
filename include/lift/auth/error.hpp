/// @file error.hpp
/// Error codes of lift::auth (JWT verification, keys, JWKS). Token rejections compare equal to
/// `lift::condition::auth`; configuration errors to `invalid`; JWKS transport failures to
/// `retryable`. Messages name the reason ("jwt: expired 75 s ago (leeway 60 s)") and never
/// contain the token, a secret or key material.
///
///     auto claims = verifier.verify(token, clock.now_ms());
///     if (!claims && claims.error().code == lift::condition::auth) { /* reject with 401 */ }
#pragma once

#include <boost/system/error_code.hpp>

namespace lift::auth {

/// Error codes of lift::auth. Values are never renumbered or reused.
enum class errc {
    malformed_token = 1,     ///< size, segments, base64url, JSON or claim types (`auth`)
    algorithm_rejected = 2,  ///< `none`, unknown, or not in the allowlist (`auth`)
    unknown_key = 3,         ///< no key for the `kid` / algorithm (`auth`)
    bad_signature = 4,       ///< the signature does not verify (`auth`)
    expired = 5,             ///< `exp` passed beyond the leeway (`auth`)
    not_yet_valid = 6,       ///< `nbf` or `iat` in the future beyond the leeway (`auth`)
    claim_mismatch = 7,      ///< required `iss`/`aud`/`exp` missing or wrong (`auth`)
    unsupported_header = 8,  ///< `crit` or `typ` the verifier does not accept (`auth`)
    bad_key = 9,             ///< a key that cannot be used (format, size, curve) (`invalid`)
    bad_configuration = 10,  ///< options that cannot work (`invalid`)
    key_fetch_failed = 11,   ///< JWKS file or URL could not be read or parsed (`retryable`)
    missing_token = 12,      ///< no token where the middleware looked (`auth`)
};

/// The category of `lift::auth::errc` (name `lift.auth`).
const boost::system::error_category& auth_category() noexcept;

/// Makes an error_code from an auth error enum (found by ADL).
boost::system::error_code make_error_code(errc e) noexcept;

}  // namespace lift::auth

namespace boost::system {
template <>
struct is_error_code_enum<lift::auth::errc> : std::true_type {};
}  // namespace boost::system
