// lift::auth::jwt_verifier against tokens minted by PyJWT (tests/support/jwt_issuer.py).
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/auth/jwks.hpp>
#include <lift/auth/jwt.hpp>

#include "fake_clock.hpp"
#include "jwt_fixture.hpp"

namespace {

using lift::auth::errc;
using lift::auth::jwt_algorithm;
using lift::auth::jwt_key;
using lift::auth::jwt_options;
using lift::auth::jwt_verifier;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const std::vector<jwt_algorithm> all_algorithms = {
    jwt_algorithm::hs256, jwt_algorithm::hs384, jwt_algorithm::hs512,
    jwt_algorithm::rs256, jwt_algorithm::rs384, jwt_algorithm::rs512,
    jwt_algorithm::es256, jwt_algorithm::es384, jwt_algorithm::ps256};

// One negative vector: the name in jwt_issuer.py, the error code and the reason expected.
struct vector_case {
    std::string name;
    errc code;
    std::string reason;
};

const std::vector<vector_case> negative_vectors = {
    {"alg_none", errc::algorithm_rejected, "jwt: algorithm none not allowed"},
    {"alg_None", errc::algorithm_rejected, "jwt: algorithm none not allowed"},
    {"alg_NONE", errc::algorithm_rejected, "jwt: algorithm none not allowed"},
    {"hs256_with_rsa_public_key", errc::unknown_key, "jwt: key for this kid does not allow HS256"},
    {"unknown_kid", errc::unknown_key, "jwt: unknown kid"},
    {"path_kid", errc::unknown_key, "jwt: unknown kid"},
    {"expired", errc::expired, "jwt: expired 75 s ago (leeway 60 s)"},
    {"nbf_future", errc::not_yet_valid, "jwt: not valid before 300 s from now (nbf, leeway 60 s)"},
    {"iat_future", errc::not_yet_valid, "jwt: issued 300 s in the future (iat, leeway 60 s)"},
    {"missing_exp", errc::claim_mismatch, "jwt: missing exp"},
    {"wrong_iss", errc::claim_mismatch, "jwt: wrong issuer"},
    {"wrong_aud", errc::claim_mismatch, "jwt: wrong audience"},
    {"b64_padding", errc::malformed_token, "jwt: payload is not valid base64url"},
    {"b64_plus_slash", errc::malformed_token, "jwt: payload is not valid base64url"},
    {"b64_invalid_char", errc::malformed_token, "jwt: payload is not valid base64url"},
    {"two_segments", errc::malformed_token, "jwt: 2 segments instead of 3"},
    {"four_segments", errc::malformed_token, "jwt: 4 segments instead of 3"},
    {"oversized", errc::malformed_token, "-byte limit"},
    {"unknown_crit", errc::unsupported_header, "jwt: unsupported crit header parameter"},
    {"signed_by_other_key", errc::bad_signature, "jwt: signature does not verify"},
    {"tampered_payload", errc::bad_signature, "jwt: signature does not verify"},
    {"alg_not_allowed", errc::algorithm_rejected, "jwt: algorithm HS512 not allowed"},
    {"es256_der_signature", errc::bad_signature, "(JOSE r||s needs 64)"},
    {"rsa_key_too_small", errc::unknown_key,
     "jwt: JWKS key for this kid unusable: RSA key of 1024 bits (minimum 2048)"},
    {"payload_not_object", errc::malformed_token, "jwt: payload is not a JSON object"},
    {"header_not_object", errc::malformed_token, "jwt: header is not a JSON object"},
    {"empty_signature", errc::bad_signature, "jwt: empty signature"},
    {"kid_not_string", errc::malformed_token, "jwt: kid is not a string"},
    {"unsupported_alg", errc::algorithm_rejected, "jwt: unsupported algorithm"},
    {"bad_typ", errc::unsupported_header, "jwt: unsupported typ"},
    {"exp_not_a_number", errc::malformed_token, "jwt: exp is not a number"},
};

class jwt_test : public testing::Test {
protected:
    static void SetUpTestSuite() { fx_ = std::make_unique<lift::test::jwt_fixture>(now_seconds()); }

    static void TearDownTestSuite() { fx_.reset(); }

    // Static keys: the HMAC secret (no kid) and the PEM public keys under their kids; the JWKS
    // file adds `rsa-small` (skipped: 1024 bits).
    std::vector<jwt_key> keys() const {
        return {jwt_key::hmac(fx_->secret()).value(),
                jwt_key::from_pem_file(fx_->path("rsa.pem"), "rsa-1").value(),
                jwt_key::from_pem_file(fx_->path("ec256.pem"), "ec-256").value(),
                jwt_key::from_pem_file(fx_->path("ec384.pem"), "ec-384").value()};
    }

    jwt_options options(std::vector<jwt_algorithm> algs = all_algorithms) const {
        jwt_options o;
        o.algorithms = std::move(algs);
        o.issuer = fx_->issuer();
        o.audiences = {fx_->audience()};
        return o;
    }

    jwt_verifier verifier(jwt_options o) {
        jwks_ = lift::auth::jwks_cache::create({.file = fx_->path("jwks.json")}, nullptr, clock_)
                    .value();
        return jwt_verifier::create(std::move(o), keys(), jwks_).value();
    }

    std::int64_t now_ms() const { return fx_->now_s() * 1000; }

    static std::unique_ptr<lift::test::jwt_fixture> fx_;
    lift::test::fake_clock clock_{now_seconds() * 1000};
    std::shared_ptr<lift::auth::jwks_cache> jwks_;
};

std::unique_ptr<lift::test::jwt_fixture> jwt_test::fx_;

TEST(base64url, strict_decoding) {
    using lift::auth::detail::decode_base64url;
    EXPECT_EQ(decode_base64url(""), "");
    EXPECT_EQ(decode_base64url("QQ"), "A");
    EXPECT_EQ(decode_base64url("QUI"), "AB");
    EXPECT_EQ(decode_base64url("QUJD"), "ABC");
    EXPECT_EQ(decode_base64url("-_8"), std::string("\xfb\xff", 2));
    EXPECT_FALSE(decode_base64url("QQ=="));    // padding
    EXPECT_FALSE(decode_base64url("QUI="));    // padding
    EXPECT_FALSE(decode_base64url("+/8"));     // standard alphabet
    EXPECT_FALSE(decode_base64url("QU I"));    // whitespace
    EXPECT_FALSE(decode_base64url("Q"));       // impossible length
    EXPECT_FALSE(decode_base64url("QR"));      // non-zero trailing bits (non-canonical)
    EXPECT_FALSE(decode_base64url("QU\xc3"));  // non-ASCII
}

TEST(base64url, round_trip) {
    std::mt19937 rng{42};
    for (int n = 0; n < 200; ++n) {
        std::string bytes(static_cast<std::size_t>(n), '\0');
        for (auto& c : bytes) {
            c = static_cast<char>(rng() & 0xff);
        }
        const auto text = lift::auth::detail::encode_base64url(bytes);
        EXPECT_EQ(text.find('='), std::string::npos);
        EXPECT_EQ(lift::auth::detail::decode_base64url(text), bytes);
    }
}

TEST(jwt_algorithm_names, case_sensitive_and_no_none) {
    EXPECT_EQ(lift::auth::parse_jwt_algorithm("HS256"), jwt_algorithm::hs256);
    EXPECT_EQ(lift::auth::parse_jwt_algorithm("PS256"), jwt_algorithm::ps256);
    EXPECT_FALSE(lift::auth::parse_jwt_algorithm("hs256"));
    EXPECT_FALSE(lift::auth::parse_jwt_algorithm("none"));
    EXPECT_FALSE(lift::auth::parse_jwt_algorithm("PS384"));
    for (const auto a : all_algorithms) {
        EXPECT_EQ(lift::auth::parse_jwt_algorithm(lift::auth::to_string(a)), a);
    }
}

TEST_F(jwt_test, every_algorithm_verifies_a_pyjwt_token) {
    const auto v = verifier(options());
    for (const auto alg : all_algorithms) {
        const std::string name{lift::auth::to_string(alg)};
        auto claims = v.verify(fx_->valid(name), now_ms());
        ASSERT_TRUE(claims) << name << ": " << claims.error().message;
        EXPECT_EQ(claims->at("sub"), "alice") << name;
        EXPECT_EQ(claims->at("tenant"), "acme") << name;
    }
}

TEST_F(jwt_test, each_algorithm_alone_in_the_allowlist_accepts_only_its_tokens) {
    for (const auto alg : all_algorithms) {
        const auto v = verifier(options({alg}));
        for (const auto other : all_algorithms) {
            const std::string name{lift::auth::to_string(other)};
            auto claims = v.verify(fx_->valid(name), now_ms());
            EXPECT_EQ(claims.has_value(), other == alg)
                << lift::auth::to_string(alg) << " vs " << name;
        }
    }
}

TEST_F(jwt_test, extra_positive_cases) {
    const auto v = verifier(options());
    EXPECT_TRUE(v.verify(fx_->extra("aud_array"), now_ms()));
    EXPECT_TRUE(v.verify(fx_->extra("expired_within_leeway"), now_ms()));
    EXPECT_TRUE(v.verify(fx_->extra("roles_string"), now_ms()));
    EXPECT_TRUE(v.verify(fx_->extra("exp_huge"), now_ms()));  // no overflow with the leeway
    // Without iss/aud configured they are not required.
    jwt_options o;
    o.algorithms = all_algorithms;
    const auto open = verifier(o);
    EXPECT_TRUE(open.verify(fx_->invalid("wrong_iss"), now_ms()));
    EXPECT_TRUE(open.verify(fx_->invalid("wrong_aud"), now_ms()));
}

TEST_F(jwt_test, negative_vectors_are_rejected_with_specific_reasons) {
    ASSERT_GE(negative_vectors.size(), 18u);
    // Every vector the issuer made is in the table, and the other way round.
    EXPECT_EQ(negative_vectors.size(), fx_->doc().at("invalid").as_object().size());
    auto o = options();
    std::erase(o.algorithms, jwt_algorithm::hs512);
    const auto v = verifier(o);
    for (const auto& c : negative_vectors) {
        auto r = v.verify(fx_->invalid(c.name), now_ms());
        ASSERT_FALSE(r) << c.name << " was accepted";
        EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
        EXPECT_EQ(r.error().code, lift::condition::auth) << c.name;
        EXPECT_NE(r.error().message.find(c.reason), std::string::npos)
            << c.name << ": " << r.error().message;
        EXPECT_EQ(r.error().message.find(fx_->invalid(c.name)), std::string::npos);
    }
}

TEST_F(jwt_test, hs256_keyed_with_the_rsa_public_key_without_kid_finds_no_hmac_key) {
    const auto rsa = jwt_key::from_pem_file(fx_->path("rsa.pem")).value();
    auto o = options({jwt_algorithm::hs256, jwt_algorithm::rs256});
    const auto v = jwt_verifier::create(o, {rsa}).value();
    auto r = v.verify(fx_->token("hs256_with_rsa_public_key_no_kid"), now_ms());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "jwt: no key usable with HS256");
    // A key configured without a kid stands for any kid: RS256 tokens naming rsa-1 verify.
    EXPECT_TRUE(v.verify(fx_->valid("RS256"), now_ms()));
}

TEST_F(jwt_test, leeway_and_exp_options) {
    auto o = options();
    o.leeway_seconds = 0;
    const auto strict = verifier(o);
    auto r = strict.verify(fx_->extra("expired_within_leeway"), now_ms());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "jwt: expired 30 s ago (leeway 0 s)");

    o = options();
    o.require_exp = false;
    EXPECT_TRUE(verifier(o).verify(fx_->invalid("missing_exp"), now_ms()));

    // Time moves: a valid token expires after exp + leeway.
    const auto v = verifier(options());
    EXPECT_TRUE(v.verify(fx_->valid("HS256"), now_ms() + (3600 + 59) * 1000));
    auto late = v.verify(fx_->valid("HS256"), now_ms() + (3600 + 60) * 1000);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().message, "jwt: expired 60 s ago (leeway 60 s)");

    o = options();
    o.max_token_bytes = 100;
    auto big = verifier(o).verify(fx_->valid("HS256"), now_ms());
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("exceeds the 100-byte limit"), std::string::npos);
}

TEST_F(jwt_test, keys_are_bound_to_their_family) {
    auto small = jwt_key::from_pem_file(fx_->path("rsa_small.pem"));
    ASSERT_FALSE(small);
    EXPECT_EQ(small.error().code, errc::bad_key);
    EXPECT_NE(small.error().message.find("RSA key of 1024 bits (minimum 2048)"), std::string::npos);

    auto priv = jwt_key::from_pem_file(fx_->path("rsa_private.pem"));
    ASSERT_FALSE(priv);
    EXPECT_EQ(priv.error().code, errc::bad_key);

    EXPECT_FALSE(jwt_key::from_pem_file(fx_->path("no-such.pem")));
    EXPECT_FALSE(jwt_key::from_pem("not a pem"));
    EXPECT_FALSE(jwt_key::hmac(std::string(31, 'k')));
    EXPECT_TRUE(jwt_key::hmac(std::string(32, 'k')));

    const auto rsa = jwt_key::from_pem_file(fx_->path("rsa.pem")).value();
    EXPECT_EQ(rsa.kind(), lift::auth::key_kind::rsa);
    EXPECT_EQ(rsa.bits(), 2048);
    EXPECT_TRUE(rsa.allows(jwt_algorithm::rs256));
    EXPECT_TRUE(rsa.allows(jwt_algorithm::ps256));
    EXPECT_FALSE(rsa.allows(jwt_algorithm::hs256));
    EXPECT_FALSE(rsa.allows(jwt_algorithm::es256));
    EXPECT_FALSE(rsa.pinned_to(jwt_algorithm::hs256));
    const auto pinned = rsa.pinned_to(jwt_algorithm::ps256).value();
    EXPECT_FALSE(pinned.allows(jwt_algorithm::rs256));
    EXPECT_TRUE(pinned.allows(jwt_algorithm::ps256));

    const auto ec = jwt_key::from_pem_file(fx_->path("ec256.pem")).value();
    EXPECT_EQ(ec.kind(), lift::auth::key_kind::ec_p256);
    EXPECT_TRUE(ec.allows(jwt_algorithm::es256));
    EXPECT_FALSE(ec.allows(jwt_algorithm::es384));
    const auto ec384 = jwt_key::from_pem_file(fx_->path("ec384.pem")).value();
    EXPECT_EQ(ec384.kind(), lift::auth::key_kind::ec_p384);

    const auto hmac = jwt_key::hmac(fx_->secret()).value();
    EXPECT_FALSE(hmac.allows(jwt_algorithm::rs256));

    // A verifier pinned to PS256 rejects an RS256 token from the same key.
    const auto v = jwt_verifier::create(options(), {pinned.with_kid("rsa-1")}).value();
    EXPECT_TRUE(v.verify(fx_->valid("PS256"), now_ms()));
    auto rs = v.verify(fx_->valid("RS256"), now_ms());
    ASSERT_FALSE(rs);
    EXPECT_EQ(rs.error().message, "jwt: key for this kid does not allow RS256");
}

TEST_F(jwt_test, configuration_errors) {
    const auto rsa = jwt_key::from_pem_file(fx_->path("rsa.pem")).value();
    EXPECT_EQ(jwt_verifier::create({}, {rsa}).error().code, errc::bad_configuration);
    EXPECT_EQ(jwt_verifier::create(options(), {}).error().code, errc::bad_configuration);
    EXPECT_EQ(jwt_verifier::create(options({jwt_algorithm::hs256}), {rsa}).error().code,
              errc::bad_configuration);
    auto o = options();
    o.leeway_seconds = -1;
    EXPECT_EQ(jwt_verifier::create(o, {rsa}).error().code, errc::bad_configuration);
}

TEST_F(jwt_test, hmac_key_shorter_than_the_hash_is_not_used) {
    // A 32-byte secret may verify HS256 but not HS512 (RFC 7518 §3.2), even with the right MAC.
    const auto key = jwt_key::hmac(fx_->secret().substr(0, 32)).value();
    const auto v = jwt_verifier::create(options(), {key}).value();
    auto r = v.verify(fx_->valid("HS512"), now_ms());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_signature);
}

}  // namespace
