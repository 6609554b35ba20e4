#include <string>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <lift/core/redact.hpp>

namespace {

TEST(redact, sensitive_header_names) {
    for (const char* h : {"Authorization", "authorization", "Sec-WebSocket-Protocol", "Cookie",
                          "X-Amz-Security-Token", "x-amz-security-token", "Proxy-Authorization",
                          "Set-Cookie", "X-Api-Key"}) {
        EXPECT_TRUE(lift::is_sensitive_header(h)) << h;
        EXPECT_TRUE(lift::is_sensitive_name(h)) << h;
    }
    for (const char* h : {"Host", "User-Agent", "Origin", "X-Forwarded-For", "Sec-WebSocket-Key"}) {
        EXPECT_FALSE(lift::is_sensitive_header(h)) << h;
    }
}

TEST(redact, sensitive_query_parameter_names) {
    for (const char* q : {"token", "TOKEN", "access_token", "id_token", "refresh_token", "api_key",
                          "password", "X-Amz-Signature", "X-Amz-Security-Token"}) {
        EXPECT_TRUE(lift::is_sensitive_query_parameter(q)) << q;
    }
    for (const char* q : {"room", "name", "tokens_left_count", "tag"}) {
        EXPECT_FALSE(lift::is_sensitive_query_parameter(q)) << q;
    }
    EXPECT_TRUE(lift::is_sensitive_name("sessionToken"));
    EXPECT_TRUE(lift::is_sensitive_name("db_password"));
    EXPECT_FALSE(lift::is_sensitive_name("route"));
}

TEST(redact, header_and_query_maps) {
    const lift::string_map headers{{"Authorization", "Bearer abc"},
                                   {"Sec-WebSocket-Protocol", "chat, eyJ.token"},
                                   {"Cookie", "session=1"},
                                   {"X-Amz-Security-Token", "FQoGZX"},
                                   {"Host", "example.test"}};
    const auto h = lift::redact_headers(headers);
    EXPECT_EQ(h.at("Authorization"), "[REDACTED]");
    EXPECT_EQ(h.at("Sec-WebSocket-Protocol"), "[REDACTED]");
    EXPECT_EQ(h.at("Cookie"), "[REDACTED]");
    EXPECT_EQ(h.at("X-Amz-Security-Token"), "[REDACTED]");
    EXPECT_EQ(h.at("Host"), "example.test");
    const lift::multi_string_map mh{{"authorization", {"a", "b"}}, {"Host", {"h"}}};
    const auto m = lift::redact_headers(mh);
    EXPECT_EQ(m.at("authorization"), (std::vector<std::string>{"[REDACTED]", "[REDACTED]"}));
    EXPECT_EQ(m.at("Host"), (std::vector<std::string>{"h"}));

    const lift::string_map query{
        {"token", "t1"}, {"access_token", "t2"}, {"id_token", "t3"}, {"room", "lobby"}};
    const auto q = lift::redact_query(query);
    EXPECT_EQ(q.at("token"), "[REDACTED]");
    EXPECT_EQ(q.at("access_token"), "[REDACTED]");
    EXPECT_EQ(q.at("id_token"), "[REDACTED]");
    EXPECT_EQ(q.at("room"), "lobby");
    const lift::multi_string_map mq{{"token", {"x", "y"}}, {"tag", {"a"}}};
    const auto mq2 = lift::redact_query(mq);
    EXPECT_EQ(mq2.at("token"), (std::vector<std::string>{"[REDACTED]", "[REDACTED]"}));
    EXPECT_EQ(mq2.at("tag"), (std::vector<std::string>{"a"}));
}

TEST(redact, query_strings_and_targets) {
    EXPECT_EQ(lift::redact_query_string("a=1&token=abc&b=2"), "a=1&token=[REDACTED]&b=2");
    EXPECT_EQ(lift::redact_query_string("/dev?access_token=xyz"), "/dev?access_token=[REDACTED]");
    EXPECT_EQ(lift::redact_query_string("/dev?id%5Ftoken=xyz#frag"),
              "/dev?id%5Ftoken=[REDACTED]#frag");
    EXPECT_EQ(lift::redact_query_string("/dev?token"), "/dev?token");
    EXPECT_EQ(lift::redact_query_string("/dev"), "/dev");
    EXPECT_EQ(lift::redact_query_string(""), "");
    EXPECT_EQ(lift::redact_query_string("x=1&&token=a&Token=b"),
              "x=1&&token=[REDACTED]&Token=[REDACTED]");
}

TEST(redact, credential_shapes_in_text) {
    const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    EXPECT_EQ(lift::redact_text("token " + jwt + " end"), "token [REDACTED] end");
    EXPECT_EQ(lift::redact_text(jwt), "[REDACTED]");
    EXPECT_EQ(lift::redact_text("Authorization: Bearer abc123=="),
              "Authorization: Bearer [REDACTED]");
    EXPECT_EQ(lift::redact_text("BASIC dXNlcjpw"), "BASIC [REDACTED]");
    EXPECT_EQ(lift::redact_text("the bearer of bad news"), "the bearer [REDACTED] bad news");
    EXPECT_EQ(lift::redact_text("plain message, eyJ but no dots"),
              "plain message, eyJ but no dots");
    EXPECT_EQ(lift::redact_text("keyJ.a.b"), "keyJ.a.b");  // not at a word start
    EXPECT_FALSE(lift::has_credential_shape("route chat failed: boom"));
    EXPECT_TRUE(lift::has_credential_shape(jwt));
    EXPECT_FALSE(lift::has_credential_shape("Bearer"));
    EXPECT_FALSE(lift::has_credential_shape("Bearer "));
}

TEST(redact, event_summary_has_no_secrets_and_no_body) {
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::connect;
    ev.request_context.route_key = "$connect";
    ev.request_context.connection_id = "c=";
    ev.request_context.request_id = "r";
    ev.request_context.identity.source_ip = "127.0.0.1";
    ev.request_context.identity.api_key = "api-key-secret";
    ev.headers = lift::string_map{{"Authorization", "Bearer hdr-secret"},
                                  {"Sec-WebSocket-Protocol", "proto-secret"},
                                  {"Host", "h"}};
    ev.query_string_parameters = lift::string_map{{"token", "q-secret"}, {"room", "lobby"}};
    ev.body = "body-secret";
    const auto text = boost::json::serialize(lift::event_summary(ev));
    for (const char* s :
         {"hdr-secret", "proto-secret", "q-secret", "body-secret", "api-key-secret"}) {
        EXPECT_EQ(text.find(s), std::string::npos) << s << " in " << text;
    }
    const auto o = lift::event_summary(ev);
    EXPECT_EQ(o.at("eventType"), "CONNECT");
    EXPECT_EQ(o.at("routeKey"), "$connect");
    EXPECT_EQ(o.at("bodyBytes"), 11);
    EXPECT_EQ(o.at("query").at("room"), "lobby");
    EXPECT_EQ(o.at("headers").at("Host"), "h");
}

}  // namespace
