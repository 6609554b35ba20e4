// JWT on $connect through the in-process gateway with a real WebSocket client: the identity a
// custom route sees is the one $connect saved (store path, then the per-app identity cache),
// every bad token is the same 401, and a token sent as a subprotocol is answered with the
// marker. Tokens come from PyJWT (tests/support/jwt_issuer.py).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/auth/jwt_auth.hpp>
#include <lift/core/app.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/gateway/gateway.hpp>

#include "counting_store.hpp"
#include "jwt_fixture.hpp"
#include "ws_test_client.hpp"

namespace {

namespace json = boost::json;
using lift::test::ws_client;
using namespace std::chrono_literals;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

using lift::test::counting_store;

class jwt_gateway_test : public testing::Test {
protected:
    static void SetUpTestSuite() { fx_ = std::make_unique<lift::test::jwt_fixture>(now_seconds()); }

    static void TearDownTestSuite() { fx_.reset(); }

    void SetUp() override {
        auto store = std::make_unique<counting_store>();
        store_ = store.get();
        app_.use_store(std::move(store));
        lift::auth::jwt_options o;
        o.algorithms = {lift::auth::jwt_algorithm::hs256, lift::auth::jwt_algorithm::es256};
        o.issuer = fx_->issuer();
        o.audiences = {fx_->audience()};
        std::vector<lift::auth::jwt_key> keys = {
            lift::auth::jwt_key::hmac(fx_->secret()).value(),
            lift::auth::jwt_key::from_pem_file(fx_->path("ec256.pem"), "ec-256").value()};
        auto verifier = std::make_shared<const lift::auth::jwt_verifier>(
            lift::auth::jwt_verifier::create(o, keys).value());
        lift::auth::jwt_auth_options ao;
        ao.claims = {"email"};
        app_.use(lift::auth::jwt_auth(verifier, ao));
        app_.on("whoami", [](lift::context& ctx) {
            return ctx.send(json::serialize(lift::to_json(ctx.identity())));
        });
        app_.on_default([](lift::context& ctx) { return ctx.send(*ctx.event().body); });
        lift::gateway::options g;
        g.port = 0;
        g.level = lift::log_level::error;
        auto started = lift::gateway::gateway::start(app_, std::move(g));
        ASSERT_TRUE(started) << started.error().message;
        gw_ = std::move(*started);
    }

    void TearDown() override {
        if (gw_) {
            gw_->stop();
        }
    }

    static std::unique_ptr<lift::test::jwt_fixture> fx_;
    lift::app app_;
    counting_store* store_ = nullptr;
    std::unique_ptr<lift::gateway::gateway> gw_;
};

std::unique_ptr<lift::test::jwt_fixture> jwt_gateway_test::fx_;

void expect_alice(const std::optional<std::string>& text) {
    ASSERT_TRUE(text);
    const auto v = json::parse(*text).as_object();
    EXPECT_EQ(v.at("subject"), "alice") << *text;
    EXPECT_EQ(v.at("tenant"), "acme") << *text;
    EXPECT_EQ(v.at("roles"), (json::array{"admin", "dev"})) << *text;
    EXPECT_EQ(v.at("claims").at("email"), "alice@lift.test") << *text;
}

TEST_F(jwt_gateway_test, custom_route_sees_the_connect_identity_through_the_store) {
    ws_client c{gw_->port(), "/dev?token=" + fx_->valid("HS256")};
    ASSERT_TRUE(c.open()) << c.reply.head;
    const int before = store_->gets.load();

    ASSERT_TRUE(c.send_text(R"({"action":"whoami"})"));
    expect_alice(c.read_text());
    EXPECT_EQ(store_->gets.load(), before + 1);  // loaded from the connection record

    ASSERT_TRUE(c.send_text(R"({"action":"whoami"})"));
    expect_alice(c.read_text());
    EXPECT_EQ(store_->gets.load(), before + 1);  // then from the identity cache
    EXPECT_EQ(app_.identities().size(), 1u);

    c.send_close(1000, "bye");
    EXPECT_TRUE(eventually([&] { return app_.identities().size() == 0; }));
}

TEST_F(jwt_gateway_test, cache_expiry_reads_the_store_again) {
    app_.identity_cache_options({.ttl_ms = 1, .max_entries = 10});
    ws_client c{gw_->port(), "/dev?token=" + fx_->valid("ES256")};
    ASSERT_TRUE(c.open()) << c.reply.head;
    const int before = store_->gets.load();
    for (int i = 1; i <= 3; ++i) {
        // Each message waits until the previous entry is past its 1 ms TTL.
        const auto loaded = std::chrono::steady_clock::now();
        ASSERT_TRUE(c.send_text(R"({"action":"whoami"})"));
        expect_alice(c.read_text());
        EXPECT_EQ(store_->gets.load(), before + i);
        while (std::chrono::steady_clock::now() - loaded < 3ms) {
            std::this_thread::sleep_for(1ms);
        }
    }
}

TEST_F(jwt_gateway_test, bad_or_missing_tokens_are_one_generic_401) {
    for (const char* name : {"alg_none", "expired", "tampered_payload", "wrong_aud",
                             "hs256_with_rsa_public_key", "b64_padding"}) {
        ws_client c{gw_->port(), "/dev?token=" + fx_->invalid(name)};
        EXPECT_EQ(c.reply.status, 401) << name << "\n" << c.reply.head;
    }
    ws_client none{gw_->port(), "/dev"};
    EXPECT_EQ(none.reply.status, 401);
    EXPECT_EQ(*app_.store()->count(), 0u);
}

TEST_F(jwt_gateway_test, token_as_subprotocol_and_bearer_header) {
    ws_client sp{gw_->port(), "/dev",
                 "Sec-WebSocket-Protocol: bearer, " + fx_->valid("HS256") + "\r\n"};
    ASSERT_TRUE(sp.open()) << sp.reply.head;
    EXPECT_EQ(sp.reply.headers["sec-websocket-protocol"], "bearer");
    ASSERT_TRUE(sp.send_text(R"({"action":"whoami"})"));
    expect_alice(sp.read_text());

    ws_client hdr{gw_->port(), "/dev", "Authorization: Bearer " + fx_->valid("ES256") + "\r\n"};
    ASSERT_TRUE(hdr.open()) << hdr.reply.head;
    ASSERT_TRUE(hdr.send_text(R"({"action":"whoami"})"));
    expect_alice(hdr.read_text());
}

}  // namespace
