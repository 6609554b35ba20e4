// The $connect middleware: one generic 401 for every failure, a specific reason in the log,
// never the token; identity on success; token sources; configuration from the environment.
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/auth/jwks.hpp>
#include <lift/auth/jwt_auth.hpp>
#include <lift/aws/config.hpp>
#include <lift/core/app.hpp>
#include <lift/core/memory_store.hpp>

#include "fake_clock.hpp"
#include "jwt_fixture.hpp"

namespace {

using lift::auth::jwt_algorithm;
using lift::auth::jwt_key;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class capture_sink final : public lift::log_sink {
public:
    void write(std::string_view line) override {
        const std::lock_guard<std::mutex> lock(mutex_);
        lines_.emplace_back(line);
    }

    std::vector<std::string> take() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return std::exchange(lines_, {});
    }

private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

// name in jwt_issuer.py → reason expected in the log line.
const std::vector<std::pair<std::string, std::string>> negative_vectors = {
    {"alg_none", "jwt: algorithm none not allowed"},
    {"alg_None", "jwt: algorithm none not allowed"},
    {"alg_NONE", "jwt: algorithm none not allowed"},
    {"hs256_with_rsa_public_key", "jwt: key for this kid does not allow HS256"},
    {"unknown_kid", "jwt: unknown kid"},
    {"path_kid", "jwt: unknown kid"},
    {"expired", "jwt: expired 75 s ago (leeway 60 s)"},
    {"nbf_future", "jwt: not valid before 300 s from now (nbf, leeway 60 s)"},
    {"iat_future", "jwt: issued 300 s in the future (iat, leeway 60 s)"},
    {"missing_exp", "jwt: missing exp"},
    {"wrong_iss", "jwt: wrong issuer"},
    {"wrong_aud", "jwt: wrong audience"},
    {"b64_padding", "jwt: payload is not valid base64url"},
    {"b64_plus_slash", "jwt: payload is not valid base64url"},
    {"b64_invalid_char", "jwt: payload is not valid base64url"},
    {"two_segments", "jwt: 2 segments instead of 3"},
    {"four_segments", "jwt: 4 segments instead of 3"},
    {"oversized", "-byte limit"},
    {"unknown_crit", "jwt: unsupported crit header parameter"},
    {"signed_by_other_key", "jwt: signature does not verify"},
    {"tampered_payload", "jwt: signature does not verify"},
    {"alg_not_allowed", "jwt: algorithm HS512 not allowed"},
    {"es256_der_signature", "(JOSE r||s needs 64)"},
    {"rsa_key_too_small", "jwt: JWKS key for this kid unusable: RSA key of 1024 bits"},
    {"payload_not_object", "jwt: payload is not a JSON object"},
    {"header_not_object", "jwt: header is not a JSON object"},
    {"empty_signature", "jwt: empty signature"},
    {"kid_not_string", "jwt: kid is not a string"},
    {"unsupported_alg", "jwt: unsupported algorithm"},
    {"bad_typ", "jwt: unsupported typ"},
    {"exp_not_a_number", "jwt: exp is not a number"},
};

lift::websocket_event connect_event() {
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::connect;
    ev.request_context.route_key = "$connect";
    ev.request_context.connection_id = "conn-J=";
    ev.request_context.request_id = "req-J=";
    ev.request_context.connected_at = 1'700'000'000'000;
    ev.headers.emplace();
    ev.query_string_parameters.emplace();
    return ev;
}

lift::websocket_event with_query_token(const std::string& token) {
    auto ev = connect_event();
    (*ev.query_string_parameters)["token"] = token;
    return ev;
}

class jwt_auth_test : public testing::Test {
protected:
    static void SetUpTestSuite() { fx_ = std::make_unique<lift::test::jwt_fixture>(now_seconds()); }

    static void TearDownTestSuite() { fx_.reset(); }

    // The fake clock starts at the time the tokens were minted for.
    void SetUp() override { clock_.set(fx_->now_s() * 1000); }

    std::shared_ptr<const lift::auth::jwt_verifier> make_verifier(bool without_hs512) {
        lift::auth::jwt_options o;
        o.algorithms = {jwt_algorithm::hs256, jwt_algorithm::hs384, jwt_algorithm::hs512,
                        jwt_algorithm::rs256, jwt_algorithm::rs384, jwt_algorithm::rs512,
                        jwt_algorithm::es256, jwt_algorithm::es384, jwt_algorithm::ps256};
        if (without_hs512) {
            std::erase(o.algorithms, jwt_algorithm::hs512);
        }
        o.issuer = fx_->issuer();
        o.audiences = {fx_->audience()};
        jwks_ = lift::auth::jwks_cache::create({.file = fx_->path("jwks.json")}, nullptr, clock_)
                    .value();
        std::vector<jwt_key> keys = {jwt_key::hmac(fx_->secret()).value()};
        return std::make_shared<const lift::auth::jwt_verifier>(
            lift::auth::jwt_verifier::create(std::move(o), std::move(keys), jwks_).value());
    }

    // Runs `mw` on `ev` with a handler behind it; records whether the handler ran.
    lift::result<lift::reply> run(const lift::middleware& mw,
                                  const lift::websocket_event& ev,
                                  lift::identity* seen = nullptr,
                                  lift::reply handler_reply = lift::reply::ok()) {
        lift::context_services s;
        s.clock = &clock_;
        s.sink = &sink_;
        s.level = lift::log_level::debug;
        lift::context ctx{ev, s};
        handler_ran_ = false;
        const lift::next_handler next = [&](lift::context& c) -> lift::result<lift::reply> {
            handler_ran_ = true;
            if (seen != nullptr) {
                *seen = c.identity();
            }
            return handler_reply;
        };
        return mw(ctx, next);
    }

    static std::unique_ptr<lift::test::jwt_fixture> fx_;
    lift::test::fake_clock clock_{now_seconds() * 1000};
    std::shared_ptr<lift::auth::jwks_cache> jwks_;
    capture_sink sink_;
    bool handler_ran_ = false;
};

std::unique_ptr<lift::test::jwt_fixture> jwt_auth_test::fx_;

// The parts of a token that must never reach a log line.
std::vector<std::string> secret_parts(const std::string& token) {
    std::vector<std::string> parts{token};
    std::size_t start = 0;
    while (start <= token.size()) {
        const auto dot = token.find('.', start);
        const auto end = dot == std::string::npos ? token.size() : dot;
        if (end - start >= 16) {
            parts.push_back(token.substr(start, end - start));
        }
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return parts;
}

TEST_F(jwt_auth_test, every_negative_vector_gets_the_same_401_and_its_own_log_reason) {
    ASSERT_GE(negative_vectors.size(), 18u);
    const auto mw = lift::auth::jwt_auth(make_verifier(true));
    std::set<std::string> distinct_reasons;
    for (const auto& [name, reason] : negative_vectors) {
        const std::string token = fx_->invalid(name);
        auto r = run(mw, with_query_token(token));
        ASSERT_TRUE(r) << name;
        EXPECT_EQ(r->status_code, 401) << name;
        EXPECT_FALSE(r->body) << name;
        EXPECT_TRUE(r->headers.empty()) << name;
        EXPECT_FALSE(handler_ran_) << name;
        const auto lines = sink_.take();
        ASSERT_EQ(lines.size(), 1u) << name;
        EXPECT_NE(lines[0].find("\"WARN\""), std::string::npos) << lines[0];
        EXPECT_NE(lines[0].find("jwt auth rejected: "), std::string::npos) << lines[0];
        EXPECT_NE(lines[0].find(reason), std::string::npos) << name << ": " << lines[0];
        for (const auto& part : secret_parts(token)) {
            EXPECT_EQ(lines[0].find(part), std::string::npos) << name << " leaked into the log";
        }
        distinct_reasons.insert(lines[0].substr(lines[0].find("jwt auth rejected: ")));
    }
    // The reasons tell the vectors apart (the none spellings, the base64url cases, the kid
    // lookups and the two signature cases share theirs by nature).
    EXPECT_GE(distinct_reasons.size(), 21u);
}

TEST_F(jwt_auth_test, missing_token_is_the_same_401) {
    const auto mw = lift::auth::jwt_auth(make_verifier(false));
    auto r = run(mw, connect_event());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 401);
    EXPECT_FALSE(handler_ran_);
    const auto lines = sink_.take();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("jwt: no token (looked in query parameter 'token', Authorization "
                            "header, Sec-WebSocket-Protocol)"),
              std::string::npos)
        << lines[0];
}

TEST_F(jwt_auth_test, every_algorithm_fills_the_identity) {
    lift::auth::jwt_auth_options o;
    o.claims = {"email", "absent"};
    // RS/ES/PS tokens carry kids found in the JWKS file.
    const auto mw = lift::auth::jwt_auth(make_verifier(false), o);
    for (const char* alg :
         {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "PS256"}) {
        lift::identity seen;
        auto r = run(mw, with_query_token(fx_->valid(alg)), &seen);
        ASSERT_TRUE(r) << alg;
        EXPECT_EQ(r->status_code, 200) << alg;
        EXPECT_TRUE(handler_ran_) << alg;
        EXPECT_EQ(seen.subject, "alice") << alg;
        EXPECT_EQ(seen.tenant, "acme") << alg;
        EXPECT_EQ(seen.roles, (std::vector<std::string>{"admin", "dev"})) << alg;
        EXPECT_EQ(seen.claims.size(), 1u) << alg;
        EXPECT_EQ(seen.claims.at("email"), "alice@lift.test") << alg;
        for (const auto& line : sink_.take()) {
            for (const auto& part : secret_parts(fx_->valid(alg))) {
                EXPECT_EQ(line.find(part), std::string::npos) << alg << " leaked";
            }
        }
    }
    lift::identity seen;
    ASSERT_TRUE(run(mw, with_query_token(fx_->extra("roles_string")), &seen));
    EXPECT_EQ(seen.roles, (std::vector<std::string>{"reader", "writer"}));
}

TEST_F(jwt_auth_test, configurable_claim_names) {
    lift::auth::jwt_auth_options o;
    o.tenant_claim = "email";
    o.roles_claim = "";
    const auto mw = lift::auth::jwt_auth(make_verifier(false), o);
    lift::identity seen;
    ASSERT_TRUE(run(mw, with_query_token(fx_->valid("HS256")), &seen));
    EXPECT_EQ(seen.tenant, "alice@lift.test");
    EXPECT_TRUE(seen.roles.empty());
}

TEST_F(jwt_auth_test, token_from_the_authorization_header) {
    const auto mw = lift::auth::jwt_auth(make_verifier(false));
    auto ev = connect_event();
    (*ev.headers)["authorization"] = "bearer " + fx_->valid("RS256");
    lift::identity seen;
    auto r = run(mw, ev, &seen);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 200);
    EXPECT_EQ(seen.subject, "alice");
    EXPECT_TRUE(r->headers.empty());  // nothing to echo

    (*ev.headers)["authorization"] = "Basic dXNlcjpwYXNz";  // not a bearer token → missing
    r = run(mw, ev);
    EXPECT_EQ(r->status_code, 401);
}

TEST_F(jwt_auth_test, token_from_the_subprotocol_is_echoed_as_the_marker) {
    const auto mw = lift::auth::jwt_auth(make_verifier(false));
    auto ev = connect_event();
    (*ev.headers)["Sec-WebSocket-Protocol"] = "bearer, " + fx_->valid("ES256");
    lift::identity seen;
    auto r = run(mw, ev, &seen);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 200);
    EXPECT_EQ(seen.subject, "alice");
    ASSERT_EQ(r->headers.count("Sec-WebSocket-Protocol"), 1u);
    EXPECT_EQ(r->headers.at("Sec-WebSocket-Protocol"), "bearer");

    // A handler that picked its own subprotocol keeps it.
    (*ev.headers)["Sec-WebSocket-Protocol"] = "chat.v1, bearer, " + fx_->valid("ES256");
    auto own = lift::reply::ok();
    own.with_header("Sec-WebSocket-Protocol", "chat.v1");
    r = run(mw, ev, nullptr, own);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers.at("Sec-WebSocket-Protocol"), "chat.v1");

    // An invalid token there is the same 401 and is never echoed.
    (*ev.headers)["Sec-WebSocket-Protocol"] = "bearer, " + fx_->invalid("expired");
    r = run(mw, ev);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 401);
    EXPECT_TRUE(r->headers.empty());
}

TEST_F(jwt_auth_test, sources_are_configurable_and_tried_in_order) {
    lift::auth::jwt_auth_options o;
    o.sources = {lift::auth::token_source::authorization_header};
    const auto header_only = lift::auth::jwt_auth(make_verifier(false), o);
    auto r = run(header_only, with_query_token(fx_->valid("HS256")));
    EXPECT_EQ(r->status_code, 401);  // the query is not looked at

    o.sources = {lift::auth::token_source::query, lift::auth::token_source::authorization_header};
    o.query_parameter = "access_token";
    const auto both = lift::auth::jwt_auth(make_verifier(false), o);
    auto ev = connect_event();
    (*ev.query_string_parameters)["access_token"] = fx_->invalid("expired");
    (*ev.headers)["Authorization"] = "Bearer " + fx_->valid("HS256");
    r = run(both, ev);
    EXPECT_EQ(r->status_code, 401);  // the first source wins; no fallback past a bad token
    EXPECT_EQ(*lift::auth::find_token(ev, o), fx_->invalid("expired"));
}

TEST_F(jwt_auth_test, other_events_pass_through_untouched) {
    const auto mw = lift::auth::jwt_auth(make_verifier(false));
    auto ev = connect_event();
    ev.request_context.type = lift::event_type::message;
    ev.request_context.route_key = "chat";
    ev.body = "hi";
    auto r = run(mw, ev);
    ASSERT_TRUE(r);
    EXPECT_TRUE(handler_ran_);
    EXPECT_EQ(r->status_code, 200);
    EXPECT_TRUE(sink_.take().empty());
    ev.request_context.type = lift::event_type::disconnect;
    EXPECT_TRUE(run(mw, ev));
    EXPECT_TRUE(handler_ran_);
}

TEST_F(jwt_auth_test, in_an_app_the_identity_is_saved_with_the_connection) {
    lift::app app;
    app.use_store(std::make_unique<lift::memory_store>(clock_));
    app.use(lift::auth::jwt_auth(make_verifier(false)));
    auto ev = with_query_token(fx_->valid("PS256"));
    ev.request_context.connected_at = clock_.now_ms();  // records expire relative to this
    lift::context_services s;
    s.store = app.store();
    s.clock = &clock_;
    lift::context ctx{ev, s};
    auto r = app.handle(ctx);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status_code, 200);
    auto rec = app.store()->get("conn-J=");
    ASSERT_TRUE(rec && *rec);
    EXPECT_EQ((*rec)->identity.subject, "alice");
    EXPECT_EQ((*rec)->identity.tenant, "acme");

    const auto bad = with_query_token(fx_->invalid("tampered_payload"));
    auto ev2 = bad;
    ev2.request_context.connection_id = "conn-K=";
    lift::context ctx2{ev2, s};
    r = app.handle(ctx2);
    EXPECT_EQ(r->status_code, 401);
    EXPECT_FALSE(*app.store()->get("conn-K="));  // nothing stored for a rejected connection
}

TEST_F(jwt_auth_test, from_env_secret) {
    lift::aws::map_environment env;
    auto none = lift::auth::jwt_auth_from_env(env);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);

    env.set("LIFT_JWT_SECRET", fx_->secret());
    auto mw = lift::auth::jwt_auth_from_env(env);
    ASSERT_TRUE(mw && *mw) << (mw ? "" : mw.error().message);
    lift::identity seen;
    auto r = run(**mw, with_query_token(fx_->valid("HS256")), &seen);
    EXPECT_EQ(r->status_code, 200);
    EXPECT_EQ(seen.subject, "alice");
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("HS384")))->status_code, 401);  // HS256 only
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("RS256")))->status_code, 401);
    auto ev = connect_event();
    (*ev.headers)["Authorization"] = "Bearer " + fx_->valid("HS256");
    EXPECT_EQ(run(**mw, ev)->status_code, 401);  // the examples read the query parameter only

    env.set("LIFT_JWT_ISSUER", "https://other.test");
    mw = lift::auth::jwt_auth_from_env(env);
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("HS256")))->status_code, 401);
    env.set("LIFT_JWT_ISSUER", fx_->issuer());
    env.set("LIFT_JWT_AUDIENCE", "x, " + fx_->audience());
    mw = lift::auth::jwt_auth_from_env(env);
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("HS256")))->status_code, 200);

    env.set("LIFT_JWT_LEEWAY_SECONDS", "abc");
    EXPECT_FALSE(lift::auth::jwt_auth_from_env(env));
    env.set("LIFT_JWT_LEEWAY_SECONDS", "0");
    mw = lift::auth::jwt_auth_from_env(env);
    ASSERT_TRUE(mw && *mw);
    EXPECT_EQ(run(**mw, with_query_token(fx_->extra("expired_within_leeway")))->status_code, 401);

    env.set("LIFT_JWT_SECRET", "short");
    auto err = lift::auth::jwt_auth_from_env(env);
    ASSERT_FALSE(err);
    EXPECT_EQ(err.error().message.find("short"), std::string::npos);  // never the secret
}

TEST_F(jwt_auth_test, from_env_public_key_file) {
    lift::aws::map_environment env;
    env.set("LIFT_JWT_PUBLIC_KEY_FILE", fx_->path("rsa.pem"));
    auto mw = lift::auth::jwt_auth_from_env(env);
    ASSERT_TRUE(mw && *mw) << (mw ? "" : mw.error().message);
    for (const char* alg : {"RS256", "RS384", "RS512", "PS256"}) {
        EXPECT_EQ(run(**mw, with_query_token(fx_->valid(alg)))->status_code, 200) << alg;
    }
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("HS256")))->status_code, 401);
    EXPECT_EQ(run(**mw, with_query_token(fx_->invalid("hs256_with_rsa_public_key")))->status_code,
              401);

    env.set("LIFT_JWT_PUBLIC_KEY_FILE", fx_->path("ec384.pem"));
    mw = lift::auth::jwt_auth_from_env(env);
    ASSERT_TRUE(mw && *mw);
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("ES384")))->status_code, 200);
    EXPECT_EQ(run(**mw, with_query_token(fx_->valid("ES256")))->status_code, 401);

    env.set("LIFT_JWT_PUBLIC_KEY_FILE", fx_->path("rsa_small.pem"));
    EXPECT_FALSE(lift::auth::jwt_auth_from_env(env));
    env.set("LIFT_JWT_PUBLIC_KEY_FILE", fx_->path("missing.pem"));
    EXPECT_FALSE(lift::auth::jwt_auth_from_env(env));
}

}  // namespace
