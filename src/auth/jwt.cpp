#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <lift/auth/jwks.hpp>
#include <lift/auth/jwt.hpp>
#include <lift/core/ascii.hpp>

#include "key_impl.hpp"

namespace lift::auth {

namespace {

struct alg_info {
    jwt_algorithm alg;
    std::string_view name;
};

constexpr std::array<alg_info, 9> algorithms{{
    {jwt_algorithm::hs256, "HS256"},
    {jwt_algorithm::hs384, "HS384"},
    {jwt_algorithm::hs512, "HS512"},
    {jwt_algorithm::rs256, "RS256"},
    {jwt_algorithm::rs384, "RS384"},
    {jwt_algorithm::rs512, "RS512"},
    {jwt_algorithm::es256, "ES256"},
    {jwt_algorithm::es384, "ES384"},
    {jwt_algorithm::ps256, "PS256"},
}};

const EVP_MD* digest_of(jwt_algorithm alg) noexcept {
    switch (alg) {
        case jwt_algorithm::hs256:
        case jwt_algorithm::rs256:
        case jwt_algorithm::es256:
        case jwt_algorithm::ps256:
            return EVP_sha256();
        case jwt_algorithm::hs384:
        case jwt_algorithm::rs384:
        case jwt_algorithm::es384:
            return EVP_sha384();
        case jwt_algorithm::hs512:
        case jwt_algorithm::rs512:
            return EVP_sha512();
    }
    return nullptr;
}

struct bio_deleter {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};

struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

struct ecdsa_sig_deleter {
    void operator()(ECDSA_SIG* s) const noexcept { ECDSA_SIG_free(s); }
};

struct x509_deleter {
    void operator()(X509* x) const noexcept { X509_free(x); }
};

error token_error(errc code, std::string reason) {
    return lift::fail(code, "jwt: " + std::move(reason));
}

// -- base64url ---------------------------------------------------------------------------------

// -- signatures --------------------------------------------------------------------------------

bool verify_hmac(const jwt_key::impl& key,
                 jwt_algorithm alg,
                 std::string_view input,
                 std::string_view sig) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    if (HMAC(digest_of(alg), key.secret.data(), static_cast<int>(key.secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(),
             &len) == nullptr) {
        return false;
    }
    return sig.size() == len && CRYPTO_memcmp(mac.data(), sig.data(), len) == 0;
}

// JOSE ECDSA signatures are r||s, each the curve's byte size; EVP wants DER.
std::optional<std::string> jose_to_der(std::string_view sig) {
    const std::size_t half = sig.size() / 2;
    std::unique_ptr<ECDSA_SIG, ecdsa_sig_deleter> s{ECDSA_SIG_new()};
    if (!s) {
        return std::nullopt;
    }
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()),
                          static_cast<int>(half), nullptr);
    BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + half),
                           static_cast<int>(half), nullptr);
    if (r == nullptr || ss == nullptr || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
        BN_free(r);
        BN_free(ss);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(s.get(), &der);
    if (der_len <= 0) {
        return std::nullopt;
    }
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_len));
    OPENSSL_free(der);
    return out;
}

bool verify_pkey(const jwt_key::impl& key,
                 jwt_algorithm alg,
                 std::string_view input,
                 std::string_view sig) {
    std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx{EVP_MD_CTX_new()};
    if (!ctx) {
        return false;
    }
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, digest_of(alg), nullptr, key.pkey.get()) != 1) {
        return false;
    }
    if (alg == jwt_algorithm::ps256) {
        // RFC 7518 §3.5: MGF1 with the same hash, salt length = hash length.
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1) {
            return false;
        }
    } else if (key.kind == key_kind::rsa) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
            return false;
        }
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
                            sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
}

// -- claims ------------------------------------------------------------------------------------

// A NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are truncated. Values are
// clamped to +-2^53 so that adding the leeway cannot overflow.
constexpr std::int64_t max_date = std::int64_t{1} << 53;

std::optional<std::int64_t> numeric_date(const boost::json::value& v) {
    if (v.is_int64()) {
        return std::clamp(v.get_int64(), -max_date, max_date);
    }
    if (v.is_uint64()) {
        return v.get_uint64() > static_cast<std::uint64_t>(max_date)
                   ? max_date
                   : static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double()) {
        const double d = v.get_double();
        if (d != d) {
            return std::nullopt;
        }
        return std::clamp(static_cast<std::int64_t>(std::clamp(d, -9.0e15, 9.0e15)), -max_date,
                          max_date);
    }
    return std::nullopt;
}

std::int64_t floor_div_1000(std::int64_t ms) noexcept {
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

result<void> check_claims(const boost::json::object& claims,
                          const jwt_options& opt,
                          std::int64_t now_ms) {
    const std::int64_t now = floor_div_1000(now_ms);
    const std::int64_t leeway = opt.leeway_seconds;
    if (const auto* exp = claims.if_contains("exp")) {
        const auto t = numeric_date(*exp);
        if (!t) {
            return token_error(errc::malformed_token, "exp is not a number");
        }
        if (now >= *t + leeway) {
            return token_error(errc::expired,
                               fmt::format("expired {} s ago (leeway {} s)", now - *t, leeway));
        }
    } else if (opt.require_exp) {
        return token_error(errc::claim_mismatch, "missing exp");
    }
    if (const auto* nbf = claims.if_contains("nbf")) {
        const auto t = numeric_date(*nbf);
        if (!t) {
            return token_error(errc::malformed_token, "nbf is not a number");
        }
        if (now + leeway < *t) {
            return token_error(
                errc::not_yet_valid,
                fmt::format("not valid before {} s from now (nbf, leeway {} s)", *t - now, leeway));
        }
    }
    if (const auto* iat = claims.if_contains("iat")) {
        const auto t = numeric_date(*iat);
        if (!t) {
            return token_error(errc::malformed_token, "iat is not a number");
        }
        if (now + leeway < *t) {
            return token_error(
                errc::not_yet_valid,
                fmt::format("issued {} s in the future (iat, leeway {} s)", *t - now, leeway));
        }
    }
    if (!opt.issuer.empty()) {
        const auto* iss = claims.if_contains("iss");
        if (iss == nullptr) {
            return token_error(errc::claim_mismatch, "missing iss");
        }
        const auto* s = iss->if_string();
        if (s == nullptr || std::string_view{*s} != opt.issuer) {
            return token_error(errc::claim_mismatch, "wrong issuer");
        }
    }
    if (!opt.audiences.empty()) {
        const auto* aud = claims.if_contains("aud");
        if (aud == nullptr) {
            return token_error(errc::claim_mismatch, "missing aud");
        }
        const auto matches = [&](const boost::json::value& v) {
            const auto* s = v.if_string();
            return s != nullptr && std::find(opt.audiences.begin(), opt.audiences.end(),
                                             std::string_view{*s}) != opt.audiences.end();
        };
        bool ok = false;
        if (aud->is_string()) {
            ok = matches(*aud);
        } else if (const auto* arr = aud->if_array()) {
            ok = std::any_of(arr->begin(), arr->end(), matches);
        } else {
            return token_error(errc::malformed_token, "aud is neither a string nor an array");
        }
        if (!ok) {
            return token_error(errc::claim_mismatch, "wrong audience");
        }
    }
    return {};
}

std::optional<boost::json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    return std::move(v.as_object());
}

using lift::ascii::iequals;

}  // namespace

// -- algorithms --------------------------------------------------------------------------------

std::string_view to_string(jwt_algorithm alg) noexcept {
    for (const auto& a : algorithms) {
        if (a.alg == alg) {
            return a.name;
        }
    }
    return "?";
}

std::optional<jwt_algorithm> parse_jwt_algorithm(std::string_view name) noexcept {
    for (const auto& a : algorithms) {
        if (a.name == name) {
            return a.alg;
        }
    }
    return std::nullopt;
}

bool family_allows(key_kind kind, jwt_algorithm alg) noexcept {
    switch (kind) {
        case key_kind::hmac:
            return alg == jwt_algorithm::hs256 || alg == jwt_algorithm::hs384 ||
                   alg == jwt_algorithm::hs512;
        case key_kind::rsa:
            return alg == jwt_algorithm::rs256 || alg == jwt_algorithm::rs384 ||
                   alg == jwt_algorithm::rs512 || alg == jwt_algorithm::ps256;
        case key_kind::ec_p256:
            return alg == jwt_algorithm::es256;
        case key_kind::ec_p384:
            return alg == jwt_algorithm::es384;
    }
    return false;
}

// -- keys --------------------------------------------------------------------------------------

result<jwt_key> make_public_key(pkey_ptr key, std::string kid) {
    auto p = std::make_shared<jwt_key::impl>();
    p->kid = std::move(kid);
    p->bits = EVP_PKEY_get_bits(key.get());
    const int id = EVP_PKEY_get_base_id(key.get());
    if (id == EVP_PKEY_RSA) {
        if (p->bits < jwt_key::min_rsa_bits) {
            return lift::fail(errc::bad_key, fmt::format("RSA key of {} bits (minimum {})", p->bits,
                                                         jwt_key::min_rsa_bits));
        }
        p->kind = key_kind::rsa;
    } else if (id == EVP_PKEY_EC) {
        std::array<char, 64> group{};
        std::size_t len = 0;
        if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &len) != 1) {
            return lift::fail(errc::bad_key, "EC key without a named curve");
        }
        const std::string_view name{group.data(), len};
        if (name == "prime256v1" || name == "P-256") {
            p->kind = key_kind::ec_p256;
        } else if (name == "secp384r1" || name == "P-384") {
            p->kind = key_kind::ec_p384;
        } else {
            return lift::fail(errc::bad_key,
                              "EC key on curve " + std::string{name} + " (P-256 or P-384 only)");
        }
    } else {
        return lift::fail(errc::bad_key, "not an RSA or EC public key");
    }
    p->pkey = std::shared_ptr<EVP_PKEY>(key.release(), pkey_deleter{});
    return jwt_key{std::move(p)};
}

result<jwt_key> jwt_key::hmac(std::string_view secret, std::string kid) {
    if (secret.size() < min_hmac_bytes) {
        return lift::fail(errc::bad_key, fmt::format("HMAC secret of {} bytes (minimum {})",
                                                     secret.size(), min_hmac_bytes));
    }
    auto p = std::make_shared<impl>();
    p->kind = key_kind::hmac;
    p->kid = std::move(kid);
    p->secret.assign(secret.data(), secret.size());
    p->bits = static_cast<int>(secret.size() * 8);
    return jwt_key{std::move(p)};
}

result<jwt_key> jwt_key::from_pem(std::string_view pem, std::string kid) {
    if (pem.size() > 1024 * 1024) {
        return lift::fail(errc::bad_key, "PEM text too large");
    }
    const bool certificate = pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos;
    std::unique_ptr<BIO, bio_deleter> bio{
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    if (!bio) {
        return lift::fail(errc::bad_key, "out of memory");
    }
    pkey_ptr key;
    if (certificate) {
        std::unique_ptr<X509, x509_deleter> cert{
            PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
        if (cert) {
            key.reset(X509_get_pubkey(cert.get()));
        }
    } else {
        key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    }
    ERR_clear_error();
    if (!key) {
        return lift::fail(errc::bad_key,
                          "PEM holds no public key (expected BEGIN PUBLIC KEY or CERTIFICATE)");
    }
    return make_public_key(std::move(key), std::move(kid));
}

result<jwt_key> jwt_key::from_pem_file(const std::string& path, std::string kid) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return lift::fail(errc::bad_key, "cannot read key file " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto key = from_pem(text.str(), std::move(kid));
    if (!key) {
        return lift::fail(errc::bad_key, key.error().message + " in " + path);
    }
    return key;
}

result<jwt_key> jwt_key::pinned_to(jwt_algorithm alg) const {
    if (!family_allows(impl_->kind, alg)) {
        return lift::fail(errc::bad_key,
                          "key type cannot be used with " + std::string{to_string(alg)});
    }
    auto p = std::make_shared<impl>(*impl_);
    p->pinned = alg;
    return jwt_key{std::move(p)};
}

jwt_key jwt_key::with_kid(std::string kid) const {
    auto p = std::make_shared<impl>(*impl_);
    p->kid = std::move(kid);
    return jwt_key{std::move(p)};
}

key_kind jwt_key::kind() const noexcept {
    return impl_->kind;
}

const std::string& jwt_key::kid() const noexcept {
    return impl_->kid;
}

std::optional<jwt_algorithm> jwt_key::pinned() const noexcept {
    return impl_->pinned;
}

bool jwt_key::allows(jwt_algorithm alg) const noexcept {
    return family_allows(impl_->kind, alg) && (!impl_->pinned || *impl_->pinned == alg);
}

int jwt_key::bits() const noexcept {
    return impl_->bits;
}

// -- base64url ---------------------------------------------------------------------------------

namespace detail {

std::optional<std::string> decode_base64url(std::string_view text) {
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = ascii::base64_value(c, '-', '_');
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xffU));
        }
    }
    // Leftover bits must be zero (canonical encoding only).
    if (bits > 0 && (acc & ((1U << bits) - 1U)) != 0) {
        return std::nullopt;
    }
    return out;
}

std::string encode_base64url(std::string_view bytes) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : bytes) {
        acc = (acc << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 0x3fU]);
        }
    }
    if (bits > 0) {
        out.push_back(alphabet[(acc << (6 - bits)) & 0x3fU]);
    }
    return out;
}

}  // namespace detail

// -- verifier ----------------------------------------------------------------------------------

jwt_verifier::jwt_verifier(jwt_options options,
                           std::vector<jwt_key> keys,
                           std::shared_ptr<jwks_cache> jwks)
    : options_(std::move(options)),
      keys_(std::move(keys)),
      jwks_(std::move(jwks)) {}

result<jwt_verifier> jwt_verifier::create(jwt_options options,
                                          std::vector<jwt_key> keys,
                                          std::shared_ptr<jwks_cache> jwks) {
    if (options.algorithms.empty()) {
        return lift::fail(errc::bad_configuration, "jwt: the algorithm allowlist is empty");
    }
    if (options.leeway_seconds < 0 || options.leeway_seconds > 366LL * 24 * 3600) {
        return lift::fail(errc::bad_configuration, "jwt: leeway must be 0 to 366 days");
    }
    if (keys.empty() && !jwks) {
        return lift::fail(errc::bad_configuration, "jwt: no key and no JWKS configured");
    }
    if (!jwks) {
        const bool usable = std::any_of(keys.begin(), keys.end(), [&](const jwt_key& k) {
            return std::any_of(options.algorithms.begin(), options.algorithms.end(),
                               [&](jwt_algorithm a) { return k.allows(a); });
        });
        if (!usable) {
            return lift::fail(errc::bad_configuration,
                              "jwt: no configured key can verify an allowed algorithm");
        }
    }
    return jwt_verifier{std::move(options), std::move(keys), std::move(jwks)};
}

result<boost::json::object> jwt_verifier::verify(std::string_view token,
                                                 std::int64_t now_ms) const {
    if (token.empty()) {
        return token_error(errc::malformed_token, "empty token");
    }
    if (token.size() > options_.max_token_bytes) {
        return token_error(errc::malformed_token,
                           fmt::format("token of {} bytes exceeds the {}-byte limit", token.size(),
                                       options_.max_token_bytes));
    }
    const auto segments = std::count(token.begin(), token.end(), '.') + 1;
    if (segments != 3) {
        return token_error(errc::malformed_token,
                           fmt::format("{} segments instead of 3", segments));
    }
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    const std::string_view header_b64 = token.substr(0, dot1);
    const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view sig_b64 = token.substr(dot2 + 1);
    const std::string_view signing_input = token.substr(0, dot2);

    // Header.
    const auto header_text = detail::decode_base64url(header_b64);
    if (!header_text) {
        return token_error(errc::malformed_token, "header is not valid base64url");
    }
    auto header = parse_object(*header_text);
    if (!header) {
        return token_error(errc::malformed_token, "header is not a JSON object");
    }
    const auto* alg_v = header->if_contains("alg");
    if (alg_v == nullptr || !alg_v->is_string()) {
        return token_error(errc::algorithm_rejected, "header has no alg");
    }
    const std::string_view alg_name = alg_v->get_string();
    if (iequals(alg_name, "none")) {
        return token_error(errc::algorithm_rejected, "algorithm none not allowed");
    }
    const auto alg = parse_jwt_algorithm(alg_name);
    if (!alg) {
        return token_error(errc::algorithm_rejected, "unsupported algorithm");
    }
    if (std::find(options_.algorithms.begin(), options_.algorithms.end(), *alg) ==
        options_.algorithms.end()) {
        return token_error(errc::algorithm_rejected,
                           "algorithm " + std::string{to_string(*alg)} + " not allowed");
    }
    if (header->contains("crit")) {
        // No extension is understood, so every critical one is unsupported (RFC 7515 §4.1.11).
        return token_error(errc::unsupported_header, "unsupported crit header parameter");
    }
    if (const auto* typ = header->if_contains("typ")) {
        const auto* s = typ->if_string();
        const bool ok = s != nullptr &&
                        std::any_of(options_.allowed_types.begin(), options_.allowed_types.end(),
                                    [&](const std::string& t) { return iequals(*s, t); });
        if (!ok) {
            return token_error(errc::unsupported_header, "unsupported typ");
        }
    }
    std::optional<std::string> kid;
    if (const auto* k = header->if_contains("kid")) {
        const auto* s = k->if_string();
        if (s == nullptr) {
            return token_error(errc::malformed_token, "kid is not a string");
        }
        kid.emplace(s->data(), s->size());
    }

    // Payload and signature bytes (claims are only trusted after the signature check).
    const auto payload_text = detail::decode_base64url(payload_b64);
    if (!payload_text) {
        return token_error(errc::malformed_token, "payload is not valid base64url");
    }
    const auto sig = detail::decode_base64url(sig_b64);
    if (!sig) {
        return token_error(errc::malformed_token, "signature is not valid base64url");
    }
    if (sig->empty()) {
        return token_error(errc::bad_signature, "empty signature");
    }
    std::string sig_bytes = *sig;
    if (*alg == jwt_algorithm::es256 || *alg == jwt_algorithm::es384) {
        const std::size_t want = *alg == jwt_algorithm::es256 ? 64 : 96;
        if (sig_bytes.size() != want) {
            return token_error(errc::bad_signature,
                               fmt::format("{} signature of {} bytes (JOSE r||s needs {})",
                                           to_string(*alg), sig_bytes.size(), want));
        }
        auto der = jose_to_der(sig_bytes);
        if (!der) {
            return token_error(errc::bad_signature, "ECDSA signature cannot be decoded");
        }
        sig_bytes = std::move(*der);
    }

    // Keys: with a kid, exactly the key with that id; without, every key allowing `alg`.
    std::vector<jwt_key> candidates;
    if (kid) {
        for (const auto& k : keys_) {
            if (k.kid() == *kid) {
                candidates.push_back(k);
                break;
            }
        }
        if (candidates.empty() && jwks_) {
            auto found = jwks_->find(*kid);
            if (!found) {
                return token_error(errc::unknown_key, found.error().message);
            }
            if (*found) {
                candidates.push_back(**found);
            }
        }
        if (!candidates.empty() && !candidates.front().allows(*alg)) {
            return token_error(errc::unknown_key,
                               "key for this kid does not allow " + std::string{to_string(*alg)});
        }
        if (candidates.empty()) {
            // Keys configured without a kid (a PEM file, a secret) stand for any kid.
            for (const auto& k : keys_) {
                if (k.kid().empty() && k.allows(*alg)) {
                    candidates.push_back(k);
                }
            }
        }
        if (candidates.empty()) {
            return token_error(errc::unknown_key, "unknown kid");
        }
    } else {
        for (const auto& k : keys_) {
            if (k.allows(*alg)) {
                candidates.push_back(k);
            }
        }
        if (jwks_) {
            for (auto& k : jwks_->keys()) {
                if (k.allows(*alg)) {
                    candidates.push_back(std::move(k));
                }
            }
        }
        if (candidates.empty()) {
            return token_error(errc::unknown_key,
                               "no key usable with " + std::string{to_string(*alg)});
        }
    }
    bool verified = false;
    for (const auto& k : candidates) {
        const auto& key = k.detail();
        if (key.kind == key_kind::hmac) {
            const auto md_size = static_cast<std::size_t>(EVP_MD_get_size(digest_of(*alg)));
            if (key.secret.size() < md_size) {
                continue;  // RFC 7518 §3.2: the key must be at least the hash size
            }
            verified = verify_hmac(key, *alg, signing_input, sig_bytes);
        } else {
            verified = verify_pkey(key, *alg, signing_input, sig_bytes);
        }
        if (verified) {
            break;
        }
    }
    ERR_clear_error();
    if (!verified) {
        return token_error(errc::bad_signature, "signature does not verify");
    }

    auto claims = parse_object(*payload_text);
    if (!claims) {
        return token_error(errc::malformed_token, "payload is not a JSON object");
    }
    if (auto ok = check_claims(*claims, options_, now_ms); !ok) {
        return ok.error();
    }
    return std::move(*claims);
}

}  // namespace lift::auth
