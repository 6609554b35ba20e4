#include <gtest/gtest.h>

#include <lift/core/event.hpp>

namespace {

TEST(event, event_type_names) {
    EXPECT_EQ(lift::to_string(lift::event_type::connect), "CONNECT");
    EXPECT_EQ(lift::to_string(lift::event_type::message), "MESSAGE");
    EXPECT_EQ(lift::to_string(lift::event_type::disconnect), "DISCONNECT");
}

TEST(event, find_header_ignores_ascii_case) {
    const lift::string_map headers{{"Sec-WebSocket-Protocol", "chat"}, {"x-api-key", "k"}};
    ASSERT_NE(lift::find_header(headers, "sec-websocket-protocol"), nullptr);
    EXPECT_EQ(*lift::find_header(headers, "sec-websocket-protocol"), "chat");
    EXPECT_EQ(*lift::find_header(headers, "SEC-WEBSOCKET-PROTOCOL"), "chat");
    EXPECT_EQ(*lift::find_header(headers, "X-Api-Key"), "k");
    EXPECT_EQ(lift::find_header(headers, "Sec-WebSocket-Protoco"), nullptr);
    EXPECT_EQ(lift::find_header(headers, "Sec-WebSocket-Protocols"), nullptr);
    EXPECT_EQ(lift::find_header({}, "Host"), nullptr);
}

TEST(event, find_header_folds_only_ascii) {
    // 0xC3 0x84 is "Ä"; folding must not touch bytes outside A-Z.
    const lift::string_map headers{{"X-\xC3\x84", "1"}};
    EXPECT_NE(lift::find_header(headers, "x-\xC3\x84"), nullptr);
    EXPECT_EQ(lift::find_header(headers, "x-\xC3\xA4"), nullptr);
}

TEST(event, query_reads_the_single_value_map) {
    lift::websocket_event ev;
    EXPECT_EQ(ev.query("token"), nullptr);
    ev.query_string_parameters = lift::string_map{{"token", "abc"}};
    ASSERT_NE(ev.query("token"), nullptr);
    EXPECT_EQ(*ev.query("token"), "abc");
    EXPECT_EQ(ev.query("Token"), nullptr);  // query keys are case-sensitive
    EXPECT_EQ(ev.query("room"), nullptr);
}

TEST(event, query_falls_back_to_the_first_multi_value) {
    lift::websocket_event ev;
    ev.multi_value_query_string_parameters = lift::multi_string_map{{"room", {"a", "b"}}};
    ASSERT_NE(ev.query("room"), nullptr);
    EXPECT_EQ(*ev.query("room"), "a");
    ev.multi_value_query_string_parameters = lift::multi_string_map{{"room", {}}};
    EXPECT_EQ(ev.query("room"), nullptr);
}

TEST(event, header_lookup_on_event) {
    lift::websocket_event ev;
    EXPECT_EQ(ev.header("host"), nullptr);
    ev.headers = lift::string_map{{"Host", "example.com"}};
    ASSERT_NE(ev.header("host"), nullptr);
    EXPECT_EQ(*ev.header("HOST"), "example.com");
    ev.multi_value_headers = lift::multi_string_map{{"Origin", {"https://a", "https://b"}}};
    ASSERT_NE(ev.header("origin"), nullptr);
    EXPECT_EQ(*ev.header("origin"), "https://a");
}

TEST(event, shorthands_read_request_context) {
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::disconnect;
    ev.request_context.connection_id = "abc=";
    ev.request_context.route_key = "$disconnect";
    EXPECT_EQ(ev.type(), lift::event_type::disconnect);
    EXPECT_EQ(ev.connection_id(), "abc=");
    EXPECT_EQ(ev.route_key(), "$disconnect");
}

}  // namespace
