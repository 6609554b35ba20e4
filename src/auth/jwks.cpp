#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <lift/auth/jwks.hpp>

#include "key_impl.hpp"

namespace lift::auth {

namespace {

struct bn_deleter {
    void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};

struct param_bld_deleter {
    void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};

struct params_deleter {
    void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};

struct pkey_ctx_deleter {
    void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};

using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

std::optional<std::string> member_string(const boost::json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (v == nullptr || !v->is_string()) {
        return std::nullopt;
    }
    return std::string{v->get_string()};
}

result<pkey_ptr> from_params(const char* type, OSSL_PARAM_BLD* bld) {
    std::unique_ptr<OSSL_PARAM, params_deleter> params{OSSL_PARAM_BLD_to_param(bld)};
    std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_deleter> ctx{
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        ERR_clear_error();
        return lift::fail(errc::bad_key, "key parameters rejected by OpenSSL");
    }
    pkey_ptr key{raw};
    // Make sure an EC point is on the curve (and RSA parameters are sane).
    std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_deleter> check{
        EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        ERR_clear_error();
        return lift::fail(errc::bad_key, "public key check failed");
    }
    return key;
}

result<jwt_key> rsa_key(const boost::json::object& jwk, std::string kid) {
    const auto n = member_string(jwk, "n");
    const auto e = member_string(jwk, "e");
    if (!n || !e) {
        return lift::fail(errc::bad_key, "RSA key without n or e");
    }
    const auto nb = detail::decode_base64url(*n);
    const auto eb = detail::decode_base64url(*e);
    if (!nb || !eb || nb->empty() || eb->empty()) {
        return lift::fail(errc::bad_key, "RSA n or e is not valid base64url");
    }
    bn_ptr bn_n{BN_bin2bn(reinterpret_cast<const unsigned char*>(nb->data()),
                          static_cast<int>(nb->size()), nullptr)};
    bn_ptr bn_e{BN_bin2bn(reinterpret_cast<const unsigned char*>(eb->data()),
                          static_cast<int>(eb->size()), nullptr)};
    const int bits = bn_n ? BN_num_bits(bn_n.get()) : 0;
    if (bits < jwt_key::min_rsa_bits) {
        return lift::fail(errc::bad_key, fmt::format("RSA key of {} bits (minimum {})", bits,
                                                     jwt_key::min_rsa_bits));
    }
    std::unique_ptr<OSSL_PARAM_BLD, param_bld_deleter> bld{OSSL_PARAM_BLD_new()};
    if (!bld || !bn_e ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
        return lift::fail(errc::bad_key, "cannot build RSA key");
    }
    auto key = from_params("RSA", bld.get());
    if (!key) {
        return key.error();
    }
    return make_public_key(std::move(*key), std::move(kid));
}

result<jwt_key> ec_key(const boost::json::object& jwk, std::string kid) {
    const auto crv = member_string(jwk, "crv");
    const auto x = member_string(jwk, "x");
    const auto y = member_string(jwk, "y");
    if (!crv || !x || !y) {
        return lift::fail(errc::bad_key, "EC key without crv, x or y");
    }
    std::size_t size = 0;
    const char* group = nullptr;
    if (*crv == "P-256") {
        size = 32;
        group = "prime256v1";
    } else if (*crv == "P-384") {
        size = 48;
        group = "secp384r1";
    } else {
        return lift::fail(errc::bad_key, "unsupported curve (P-256 or P-384 only)");
    }
    const auto xb = detail::decode_base64url(*x);
    const auto yb = detail::decode_base64url(*y);
    if (!xb || !yb || xb->size() != size || yb->size() != size) {
        return lift::fail(errc::bad_key, "EC x or y has the wrong length or encoding");
    }
    std::string point;
    point.reserve(1 + 2 * size);
    point.push_back('\x04');  // uncompressed
    point += *xb;
    point += *yb;
    std::unique_ptr<OSSL_PARAM_BLD, param_bld_deleter> bld{OSSL_PARAM_BLD_new()};
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return lift::fail(errc::bad_key, "cannot build EC key");
    }
    auto key = from_params("EC", bld.get());
    if (!key) {
        return key.error();
    }
    return make_public_key(std::move(*key), std::move(kid));
}

result<jwt_key> one_key(const boost::json::object& jwk,
                        const jwks_parse_options& options,
                        std::string kid) {
    if (const auto use = member_string(jwk, "use"); use && *use != "sig") {
        return lift::fail(errc::bad_key, "use is not sig");
    }
    if (const auto* ops = jwk.if_contains("key_ops")) {
        bool verify = false;
        if (const auto* arr = ops->if_array()) {
            for (const auto& op : *arr) {
                verify = verify || (op.is_string() && op.get_string() == "verify");
            }
        }
        if (!verify) {
            return lift::fail(errc::bad_key, "key_ops without verify");
        }
    }
    std::optional<jwt_algorithm> alg;
    if (const auto* a = jwk.if_contains("alg")) {
        const auto* s = a->if_string();
        alg = s != nullptr ? parse_jwt_algorithm(*s) : std::nullopt;
        if (!alg) {
            return lift::fail(errc::bad_key, "unsupported alg");
        }
    }
    const auto kty = member_string(jwk, "kty");
    result<jwt_key> key = lift::fail(errc::bad_key, "missing kty");
    if (!kty) {
        return key;
    }
    if (*kty == "RSA") {
        key = rsa_key(jwk, std::move(kid));
    } else if (*kty == "EC") {
        key = ec_key(jwk, std::move(kid));
    } else if (*kty == "oct") {
        if (!options.allow_oct) {
            return lift::fail(errc::bad_key, "oct keys are not allowed");
        }
        const auto k = member_string(jwk, "k");
        const auto secret = k ? detail::decode_base64url(*k) : std::nullopt;
        if (!secret) {
            return lift::fail(errc::bad_key, "oct key without a valid k");
        }
        key = jwt_key::hmac(*secret, std::move(kid));
    } else {
        return lift::fail(errc::bad_key, "unsupported kty");
    }
    if (key && alg) {
        return key->pinned_to(*alg);
    }
    return key;
}

}  // namespace

result<jwks_key_set> parse_jwks(std::string_view json, const jwks_parse_options& options) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(json, ec);
    if (ec || !doc.is_object()) {
        return lift::fail(errc::key_fetch_failed, "JWKS is not a JSON object");
    }
    const auto* keys = doc.as_object().if_contains("keys");
    if (keys == nullptr || !keys->is_array()) {
        return lift::fail(errc::key_fetch_failed, "JWKS has no keys array");
    }
    jwks_key_set set;
    for (const auto& item : keys->get_array()) {
        const auto* jwk = item.if_object();
        if (jwk == nullptr) {
            continue;
        }
        std::string kid = member_string(*jwk, "kid").value_or("");
        auto key = one_key(*jwk, options, kid);
        if (key) {
            set.keys.push_back(std::move(*key));
        } else if (!kid.empty()) {
            set.skipped.insert_or_assign(std::move(kid), key.error().message);
        }
    }
    return set;
}

// -- jwks_cache --------------------------------------------------------------------------------

jwks_cache::jwks_cache(jwks_options options,
                       std::optional<lift::aws::endpoint> ep,
                       lift::aws::http_transport* transport,
                       const lift::clock& clock)
    : options_(std::move(options)),
      endpoint_(std::move(ep)),
      transport_(transport),
      clock_(&clock) {}

result<std::shared_ptr<jwks_cache>> jwks_cache::create(jwks_options options,
                                                       lift::aws::http_transport* transport,
                                                       const lift::clock& clock) {
    if (options.url.empty() == options.file.empty()) {
        return lift::fail(errc::bad_configuration, "jwks: set exactly one of url and file");
    }
    std::optional<lift::aws::endpoint> ep;
    if (!options.url.empty()) {
        auto parsed = lift::aws::parse_endpoint(options.url);
        if (!parsed) {
            return lift::fail(errc::bad_configuration, "jwks: " + parsed.error().message);
        }
        if (transport == nullptr) {
            return lift::fail(errc::bad_configuration, "jwks: a URL needs an HTTP transport");
        }
        ep = std::move(*parsed);
    }
    return std::shared_ptr<jwks_cache>(
        new jwks_cache(std::move(options), std::move(ep), transport, clock));
}

result<jwks_key_set> jwks_cache::fetch_document() const {
    std::string body;
    if (endpoint_) {
        lift::aws::http_request req;
        req.method = "GET";
        req.target = endpoint_->base_path.empty() ? "/" : endpoint_->base_path;
        req.headers.push_back({"Accept", "application/json"});
        auto res = transport_->send(*endpoint_, req,
                                    std::chrono::steady_clock::now() + options_.fetch_timeout);
        if (!res) {
            return lift::fail(errc::key_fetch_failed, "JWKS fetch failed: " + res.error().message);
        }
        if (res->status != 200) {
            return lift::fail(errc::key_fetch_failed,
                              fmt::format("JWKS fetch answered HTTP {}", res->status));
        }
        body = std::move(res->body);
    } else {
        std::ifstream in(options_.file, std::ios::binary);
        if (!in) {
            return lift::fail(errc::key_fetch_failed, "cannot read JWKS file " + options_.file);
        }
        std::ostringstream text;
        text << in.rdbuf();
        body = text.str();
    }
    if (body.size() > options_.max_bytes) {
        return lift::fail(errc::key_fetch_failed, "JWKS document too large");
    }
    auto set = parse_jwks(body, options_.parse);
    if (set && set->keys.empty()) {
        return lift::fail(errc::key_fetch_failed, "JWKS has no usable key");
    }
    return set;
}

bool jwks_cache::may_fetch_locked(std::int64_t now) const noexcept {
    return !last_attempt_ms_ || now - *last_attempt_ms_ >= options_.min_refetch_interval_ms;
}

result<void> jwks_cache::fetch_locked(bool force) {
    const std::int64_t now = clock_->now_ms();
    if (!force && !may_fetch_locked(now)) {
        return lift::fail(errc::key_fetch_failed, "JWKS refetch rate-limited");
    }
    last_attempt_ms_ = now;
    ++fetches_;
    auto set = fetch_document();
    if (!set) {
        last_error_ = set.error().message;
        return set.error();
    }
    set_ = std::move(*set);
    loaded_at_ms_ = now;
    last_error_.clear();
    return {};
}

result<std::optional<jwt_key>> jwks_cache::find(std::string_view kid) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now = clock_->now_ms();
    if (!set_ || now - loaded_at_ms_ >= options_.max_age_ms) {
        (void)fetch_locked(false);  // failures keep what is cached
    }
    const auto lookup = [&]() -> result<std::optional<jwt_key>> {
        for (const auto& k : set_->keys) {
            if (k.kid() == kid) {
                return std::optional<jwt_key>{k};
            }
        }
        if (const auto it = set_->skipped.find(std::string{kid}); it != set_->skipped.end()) {
            return lift::fail(errc::bad_key, "JWKS key for this kid unusable: " + it->second);
        }
        return std::optional<jwt_key>{};
    };
    if (set_) {
        auto hit = lookup();
        if (!hit || *hit) {
            return hit;
        }
    }
    // Unknown kid: the issuer may have rotated keys; refetch, rate-limited.
    if (auto fetched = fetch_locked(false); !fetched && !set_) {
        return lift::fail(errc::key_fetch_failed, "no JWKS loaded (" + last_error_ + ")");
    }
    if (!set_) {
        return lift::fail(errc::key_fetch_failed, "no JWKS loaded (" + last_error_ + ")");
    }
    return lookup();
}

std::vector<jwt_key> jwks_cache::keys() {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now = clock_->now_ms();
    if (!set_ || now - loaded_at_ms_ >= options_.max_age_ms) {
        (void)fetch_locked(false);
    }
    return set_ ? set_->keys : std::vector<jwt_key>{};
}

result<void> jwks_cache::refresh() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return fetch_locked(true);
}

std::uint64_t jwks_cache::fetch_count() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return fetches_;
}

std::string jwks_cache::last_error() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return last_error_;
}

}  // namespace lift::auth
