// The inside of lift::auth::jwt_key (OpenSSL types stay out of the public header).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <openssl/evp.h>

#include <lift/auth/jwt.hpp>
#include <lift/core/result.hpp>

namespace lift::auth {

struct pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

struct jwt_key::impl {
    key_kind kind = key_kind::hmac;
    std::string kid;
    std::optional<jwt_algorithm> pinned;
    std::string secret;  // HMAC only
    // Public keys only. EVP_PKEY is reference counted and safe to use from several threads for
    // verification once built; `impl` is immutable and shared between copies of a jwt_key.
    std::shared_ptr<EVP_PKEY> pkey;
    int bits = 0;
};

// Classifies a public key (RSA >= 2048 bits, EC P-256/P-384) and wraps it; errc::bad_key
// otherwise. Takes ownership of `key`.
result<jwt_key> make_public_key(pkey_ptr key, std::string kid);

// True when `kind` may verify `alg` (family only, no pin).
bool family_allows(key_kind kind, jwt_algorithm alg) noexcept;

}  // namespace lift::auth
