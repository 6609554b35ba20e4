// JWKS parsing and the JWKS cache: a scripted transport and a real loopback HTTP server
// (tests/support/http_test_server.hpp) behind lift::aws::http_client; time from a fake clock.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/auth/jwks.hpp>
#include <lift/auth/jwt.hpp>
#include <lift/aws/http.hpp>

#include "fake_clock.hpp"
#include "http_test_server.hpp"
#include "jwt_fixture.hpp"
#include "scripted_transport.hpp"

namespace {

namespace json = boost::json;
using lift::auth::errc;
using lift::auth::jwt_algorithm;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class jwks_test : public testing::Test {
protected:
    static void SetUpTestSuite() { fx_ = std::make_unique<lift::test::jwt_fixture>(now_seconds()); }

    static void TearDownTestSuite() { fx_.reset(); }

    // The fake clock starts at the time the tokens were minted for.
    void SetUp() override { clock_.set(fx_->now_s() * 1000); }

    lift::auth::jwt_verifier verifier(std::shared_ptr<lift::auth::jwks_cache> jwks) {
        lift::auth::jwt_options o;
        o.algorithms = {jwt_algorithm::rs256, jwt_algorithm::es256, jwt_algorithm::es384,
                        jwt_algorithm::ps256};
        return lift::auth::jwt_verifier::create(o, {}, std::move(jwks)).value();
    }

    std::int64_t now_ms() const { return clock_.now_ms(); }

    static std::unique_ptr<lift::test::jwt_fixture> fx_;
    lift::test::fake_clock clock_{now_seconds() * 1000};
};

std::unique_ptr<lift::test::jwt_fixture> jwks_test::fx_;

TEST_F(jwks_test, parses_the_issuer_jwks_and_skips_the_weak_key) {
    auto set = lift::auth::parse_jwks(fx_->read("jwks.json"));
    ASSERT_TRUE(set) << set.error().message;
    ASSERT_EQ(set->keys.size(), 3u);
    EXPECT_EQ(set->keys[0].kid(), "rsa-1");
    EXPECT_EQ(set->keys[0].kind(), lift::auth::key_kind::rsa);
    EXPECT_EQ(set->keys[1].kind(), lift::auth::key_kind::ec_p256);
    EXPECT_EQ(set->keys[2].kind(), lift::auth::key_kind::ec_p384);
    ASSERT_EQ(set->skipped.count("rsa-small"), 1u);
    EXPECT_EQ(set->skipped.at("rsa-small"), "RSA key of 1024 bits (minimum 2048)");

    auto rotated = lift::auth::parse_jwks(fx_->read("jwks_rotated.json"));
    ASSERT_TRUE(rotated);
    ASSERT_EQ(rotated->keys.size(), 4u);
    EXPECT_EQ(rotated->keys[3].pinned(), jwt_algorithm::rs256);  // "alg" pins the key
}

TEST_F(jwks_test, use_key_ops_alg_and_bad_coordinates_are_honoured) {
    auto doc = json::parse(fx_->read("jwks.json")).as_object();
    auto& keys = doc["keys"].as_array();
    const json::object rsa = keys[0].as_object();
    const json::object ec = keys[1].as_object();
    json::array out;
    auto add = [&](json::object k, const char* kid) {
        k["kid"] = kid;
        out.push_back(std::move(k));
    };
    auto enc = rsa;
    enc["use"] = "enc";
    add(enc, "enc");
    auto ops = rsa;
    ops["key_ops"] = json::array{"encrypt"};
    add(ops, "ops");
    auto wrong_alg = rsa;
    wrong_alg["alg"] = "ES256";
    add(wrong_alg, "wrong-alg");
    auto none_alg = rsa;
    none_alg["alg"] = "none";
    add(none_alg, "none-alg");
    auto short_x = ec;
    short_x["x"] = "AAAA";
    add(short_x, "short-x");
    auto off_curve = ec;
    off_curve["y"] = off_curve["x"];  // (x, x) is not on P-256
    add(off_curve, "off-curve");
    auto bad_b64 = rsa;
    bad_b64["n"] = "abc+def";
    add(bad_b64, "bad-n");
    json::object oct{{"kty", "oct"}, {"k", lift::auth::detail::encode_base64url(fx_->secret())}};
    add(oct, "oct");
    add(json::object{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AA"}}, "okp");
    auto good = rsa;
    good["alg"] = "PS256";
    add(good, "good");
    const std::string text = json::serialize(json::object{{"keys", out}});

    auto set = lift::auth::parse_jwks(text);
    ASSERT_TRUE(set);
    ASSERT_EQ(set->keys.size(), 1u);
    EXPECT_EQ(set->keys[0].kid(), "good");
    EXPECT_EQ(set->keys[0].pinned(), jwt_algorithm::ps256);
    EXPECT_EQ(set->skipped.at("enc"), "use is not sig");
    EXPECT_EQ(set->skipped.at("ops"), "key_ops without verify");
    EXPECT_EQ(set->skipped.at("wrong-alg"), "key type cannot be used with ES256");
    EXPECT_EQ(set->skipped.at("none-alg"), "unsupported alg");
    EXPECT_EQ(set->skipped.count("short-x"), 1u);
    EXPECT_EQ(set->skipped.count("off-curve"), 1u);
    EXPECT_EQ(set->skipped.count("bad-n"), 1u);
    EXPECT_EQ(set->skipped.at("oct"), "oct keys are not allowed");
    EXPECT_EQ(set->skipped.at("okp"), "unsupported kty");

    auto with_oct = lift::auth::parse_jwks(text, {.allow_oct = true});
    ASSERT_TRUE(with_oct);
    EXPECT_EQ(with_oct->keys.size(), 2u);
    EXPECT_EQ(with_oct->keys[0].kind(), lift::auth::key_kind::hmac);

    EXPECT_EQ(lift::auth::parse_jwks("nope").error().code, errc::key_fetch_failed);
    EXPECT_EQ(lift::auth::parse_jwks("{\"keys\":1}").error().code, errc::key_fetch_failed);
}

TEST_F(jwks_test, create_checks_its_options) {
    lift::test::scripted_transport t;
    EXPECT_EQ(lift::auth::jwks_cache::create({}, &t, clock_).error().code, errc::bad_configuration);
    EXPECT_FALSE(lift::auth::jwks_cache::create({.url = "ftp://x/jwks"}, &t, clock_));
    EXPECT_FALSE(lift::auth::jwks_cache::create({.url = "http://x/jwks"}, nullptr, clock_));
    EXPECT_FALSE(
        lift::auth::jwks_cache::create({.url = "http://x/jwks", .file = "/f"}, &t, clock_));
}

TEST_F(jwks_test, scripted_failures_keep_the_cached_keys) {
    lift::test::scripted_transport t;
    t.push_json(200, fx_->read("jwks.json"), {}, "application/json");
    auto cache = lift::auth::jwks_cache::create({.url = "http://127.0.0.1:9/.well-known/jwks.json"},
                                                &t, clock_)
                     .value();
    const auto v = verifier(cache);
    ASSERT_TRUE(v.verify(fx_->valid("RS256"), now_ms()));
    ASSERT_EQ(t.count(), 1u);
    EXPECT_EQ(t.requests()[0].request.target, "/.well-known/jwks.json");
    EXPECT_EQ(t.requests()[0].request.method, "GET");

    // Each failure kind, 10 s apart, triggered by an unknown kid: the keys stay.
    t.push_json(500, "oops", {}, "text/plain");
    t.push_json(200, "not json", {}, "application/json");
    t.push_json(200, R"({"keys":[]})", {}, "application/json");
    t.push(lift::fail(lift::aws::errc::connect_failed, "refused"));
    for (int i = 0; i < 4; ++i) {
        clock_.advance(10'000);
        auto r = v.verify(fx_->invalid("unknown_kid"), now_ms());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message, "jwt: unknown kid");
        EXPECT_FALSE(cache->last_error().empty());
        EXPECT_TRUE(v.verify(fx_->valid("ES256"), now_ms())) << i;
    }
    EXPECT_EQ(t.count(), 5u);
    EXPECT_EQ(cache->fetch_count(), 5u);
}

TEST_F(jwks_test, first_load_failure_is_reported_and_retried_after_the_interval) {
    lift::test::scripted_transport t;
    t.push(lift::fail(lift::aws::errc::connect_failed, "refused"));
    auto cache =
        lift::auth::jwks_cache::create({.url = "http://127.0.0.1:9/jwks"}, &t, clock_).value();
    const auto v = verifier(cache);
    auto r = v.verify(fx_->valid("RS256"), now_ms());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("no JWKS loaded"), std::string::npos) << r.error().message;
    EXPECT_FALSE(v.verify(fx_->valid("RS256"), now_ms() + 1));
    EXPECT_EQ(t.count(), 1u);  // rate-limited
    t.push_json(200, fx_->read("jwks.json"), {}, "application/json");
    clock_.advance(10'000);
    EXPECT_TRUE(v.verify(fx_->valid("RS256"), now_ms()));
    EXPECT_EQ(t.count(), 2u);
}

TEST_F(jwks_test, loopback_server_rotation_rate_limit_and_outage) {
    std::mutex mutex;
    std::string body = fx_->read("jwks.json");
    int status = 200;
    std::atomic<int> hits{0};
    std::string last_target;
    lift::test::http_test_server server{[&](const lift::test::server_request& req) {
        ++hits;
        std::lock_guard lock{mutex};
        last_target = req.target;
        lift::test::server_action a;
        if (status == 200) {
            a.response = lift::test::ok_response(body, "Content-Type: application/json\r\n");
        } else {
            a.response =
                "HTTP/1.1 " + std::to_string(status) + " Error\r\nContent-Length: 0\r\n\r\n";
        }
        return a;
    }};
    auto client = lift::aws::http_client::create({}).value();
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/keys/jwks.json";
    auto cache = lift::auth::jwks_cache::create({.url = url}, client.get(), clock_).value();
    const auto v = verifier(cache);

    // First use loads the set.
    ASSERT_TRUE(v.verify(fx_->valid("RS256"), now_ms()));
    EXPECT_EQ(hits.load(), 1);
    {
        std::lock_guard lock{mutex};
        EXPECT_EQ(last_target, "/keys/jwks.json");
    }

    // The issuer rotates in rsa-2. Within 10 s of the last fetch an unknown kid does not refetch,
    // however often it is presented.
    {
        std::lock_guard lock{mutex};
        body = fx_->read("jwks_rotated.json");
    }
    for (int i = 0; i < 5; ++i) {
        clock_.advance(1'000);
        auto r = v.verify(fx_->extra("rotated_rs256"), now_ms());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message, "jwt: unknown kid");
    }
    EXPECT_EQ(hits.load(), 1);
    // 10 s after the last fetch: one refetch, and the new key verifies.
    clock_.advance(5'000);
    auto rotated = v.verify(fx_->extra("rotated_rs256"), now_ms());
    ASSERT_TRUE(rotated) << rotated.error().message;
    EXPECT_EQ(hits.load(), 2);
    // A kid nobody knows: at most one fetch per 10 s.
    for (int i = 0; i < 20; ++i) {
        clock_.advance(1'000);
        EXPECT_FALSE(v.verify(fx_->invalid("path_kid"), now_ms()));
    }
    EXPECT_EQ(hits.load(), 4);  // at +10 s and +20 s

    // The endpoint fails: cached keys keep working, and refetches stay rate-limited.
    {
        std::lock_guard lock{mutex};
        status = 503;
    }
    clock_.advance(10'000);
    EXPECT_FALSE(v.verify(fx_->invalid("unknown_kid"), now_ms()));
    EXPECT_EQ(hits.load(), 5);
    EXPECT_NE(cache->last_error().find("HTTP 503"), std::string::npos);
    EXPECT_TRUE(v.verify(fx_->valid("ES384"), now_ms()));
    EXPECT_TRUE(v.verify(fx_->extra("rotated_rs256"), now_ms()));

    // The endpoint is gone altogether, and the cache is past its max age: keys still work.
    server.stop();
    clock_.advance(3'600'000);
    EXPECT_TRUE(v.verify(fx_->valid("PS256"), now_ms()));
    EXPECT_FALSE(cache->last_error().empty());
    EXPECT_EQ(cache->fetch_count(), 6u);
    clock_.advance(10'000);
    EXPECT_FALSE(cache->refresh());
    EXPECT_TRUE(v.verify(fx_->valid("ES256"), now_ms()));
}

TEST_F(jwks_test, file_source) {
    auto cache =
        lift::auth::jwks_cache::create({.file = fx_->path("jwks.json")}, nullptr, clock_).value();
    const auto v = verifier(cache);
    EXPECT_TRUE(v.verify(fx_->valid("ES256"), now_ms()));
    EXPECT_EQ(cache->keys().size(), 3u);
    auto missing =
        lift::auth::jwks_cache::create({.file = fx_->path("nope.json")}, nullptr, clock_).value();
    auto r = missing->find("rsa-1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::key_fetch_failed);
}

}  // namespace
