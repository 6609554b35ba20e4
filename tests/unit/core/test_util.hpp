// Helpers shared by the lift::core unit tests: fixture loading and event comparison.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <lift/core/event.hpp>
#include <lift/core/json.hpp>

namespace lift::test {

inline std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Contents of tests/data/events/<name>.
inline std::string event_fixture(std::string_view name) {
    std::string path = LIFT_TEST_DATA_DIR;
    path += "/events/";
    path += name;
    auto text = read_text_file(path);
    EXPECT_FALSE(text.empty()) << "missing fixture " << path;
    return text;
}

/// The canonical compact form of a JSON text: parsed and re-serialised by Boost.JSON, which
/// keeps member order.
inline std::string compact(std::string_view json) {
    return boost::json::serialize(boost::json::parse(json));
}

/// A parsed event, failing the test when it does not parse.
inline websocket_event parse_or_fail(std::string_view json) {
    auto r = parse_event(json);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().what());
    return r ? std::move(*r) : websocket_event{};
}

inline void expect_identity_equal(const request_identity& a, const request_identity& b) {
    EXPECT_EQ(a.source_ip, b.source_ip);
    EXPECT_EQ(a.user_agent, b.user_agent);
    EXPECT_EQ(a.api_key, b.api_key);
    EXPECT_EQ(a.api_key_id, b.api_key_id);
    EXPECT_EQ(a.extra, b.extra);
}

/// Field-by-field equality of two events (the model has no operator==).
inline void expect_events_equal(const websocket_event& a, const websocket_event& b) {
    const auto& x = a.request_context;
    const auto& y = b.request_context;
    EXPECT_EQ(x.route_key, y.route_key);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.extended_request_id, y.extended_request_id);
    EXPECT_EQ(x.request_time, y.request_time);
    EXPECT_EQ(x.message_direction, y.message_direction);
    EXPECT_EQ(x.stage, y.stage);
    EXPECT_EQ(x.connected_at, y.connected_at);
    EXPECT_EQ(x.request_time_epoch, y.request_time_epoch);
    expect_identity_equal(x.identity, y.identity);
    EXPECT_EQ(x.request_id, y.request_id);
    EXPECT_EQ(x.domain_name, y.domain_name);
    EXPECT_EQ(x.connection_id, y.connection_id);
    EXPECT_EQ(x.api_id, y.api_id);
    EXPECT_EQ(x.message_id, y.message_id);
    EXPECT_EQ(x.disconnect_status_code, y.disconnect_status_code);
    EXPECT_EQ(x.disconnect_reason, y.disconnect_reason);
    EXPECT_EQ(x.authorizer, y.authorizer);
    EXPECT_EQ(x.extra, y.extra);
    EXPECT_EQ(a.headers, b.headers);
    EXPECT_EQ(a.multi_value_headers, b.multi_value_headers);
    EXPECT_EQ(a.query_string_parameters, b.query_string_parameters);
    EXPECT_EQ(a.multi_value_query_string_parameters, b.multi_value_query_string_parameters);
    EXPECT_EQ(a.stage_variables, b.stage_variables);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.is_base64_encoded, b.is_base64_encoded);
    EXPECT_EQ(a.extra, b.extra);
}

}  // namespace lift::test
