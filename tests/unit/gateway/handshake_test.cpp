#include "handshake.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

using namespace lift::gateway::detail;

handshake_request valid() {
    handshake_request r;
    r.method = "GET";
    r.target = "/dev";
    r.headers = {{"Host", "127.0.0.1:3001"},
                 {"Upgrade", "websocket"},
                 {"Connection", "Upgrade"},
                 {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                 {"Sec-WebSocket-Version", "13"}};
    return r;
}

void drop(handshake_request& r, std::string_view name) {
    std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
}

void set(handshake_request& r, std::string_view name, std::string_view value) {
    for (auto& h : r.headers) {
        if (h.first == name) {
            h.second = value;
        }
    }
}

TEST(handshake, accepts_a_valid_request_and_returns_the_key) {
    const auto v = check_handshake(valid());
    EXPECT_EQ(v.status, 0) << v.reason;
    EXPECT_EQ(v.key, "dGhlIHNhbXBsZSBub25jZQ==");
}

TEST(handshake, names_and_tokens_are_case_insensitive_and_lists_are_searched) {
    auto r = valid();
    r.headers = {{"host", "h"},
                 {"upgrade", "WebSocket"},
                 {"CONNECTION", "keep-alive, UPGRADE"},
                 {"sec-websocket-key", " dGhlIHNhbXBsZSBub25jZQ== "},
                 {"SEC-WEBSOCKET-VERSION", "13"}};
    EXPECT_EQ(check_handshake(r).status, 0);
}

TEST(handshake, each_fault_gets_its_status) {
    auto r = valid();
    r.method = "POST";
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    r.version = 10;
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    drop(r, "Host");
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    r.headers.emplace_back("Host", "other");
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    set(r, "Connection", "keep-alive");
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    set(r, "Connection", "upgraded");
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    drop(r, "Sec-WebSocket-Key");
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    r.headers.emplace_back("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==");
    EXPECT_EQ(check_handshake(r).status, 400);
    r = valid();
    set(r, "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA");  // 15 bytes
    EXPECT_EQ(check_handshake(r).status, 400);
}

TEST(handshake, other_versions_get_426_naming_13) {
    for (const char* version : {"8", "12", "14", "", "13, 8"}) {
        auto r = valid();
        set(r, "Sec-WebSocket-Version", version);
        const auto v = check_handshake(r);
        EXPECT_EQ(v.status, 426) << version;
        ASSERT_EQ(v.headers.size(), 1u);
        EXPECT_EQ(v.headers[0].first, "Sec-WebSocket-Version");
        EXPECT_EQ(v.headers[0].second, "13");
    }
    auto r = valid();
    drop(r, "Sec-WebSocket-Version");
    EXPECT_EQ(check_handshake(r).status, 426);
}

TEST(handshake, limits_on_target_and_header_size) {
    const std::string at_limit = "/dev?q=" + std::string(4096 - 7, 'a');
    const std::string over = at_limit + "a";
    auto r = valid();
    r.target = at_limit;
    EXPECT_EQ(check_handshake(r).status, 0);
    r.target = over;
    EXPECT_EQ(check_handshake(r).status, 414);

    const std::string big(8192, 'b');
    r = valid();
    r.headers.emplace_back("X-Big", big);
    EXPECT_EQ(check_handshake(r).status, 431);
    r = valid();
    r.headers.emplace_back("X-Small", std::string(1000, 'b'));
    EXPECT_EQ(check_handshake(r).status, 0);
}

TEST(handshake, has_token_trims_and_ignores_case) {
    EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(has_token(" upgrade\t", "upgrade"));
    EXPECT_FALSE(has_token("upgraded", "upgrade"));
    EXPECT_FALSE(has_token("", "upgrade"));
}

}  // namespace
