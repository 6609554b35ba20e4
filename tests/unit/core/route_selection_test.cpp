#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/route_selection.hpp>

namespace {

using lift::route_selection_expression;

route_selection_expression parse_ok(std::string_view text) {
    auto r = route_selection_expression::parse(text);
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    return r ? *r : route_selection_expression{};
}

std::optional<std::string> eval(std::string_view expr, std::string_view body) {
    return parse_ok(expr).evaluate(body);
}

TEST(route_selection, default_expression) {
    EXPECT_EQ(route_selection_expression::default_text, "$request.body.action");
    const auto e = parse_ok(route_selection_expression::default_text);
    EXPECT_EQ(e.text(), "$request.body.action");
    EXPECT_TRUE(e.uses_body());
    EXPECT_EQ(e.evaluate(R"({"action":"join","x":1})"), "join");
}

TEST(route_selection, braced_nested_path) {
    EXPECT_EQ(eval("${request.body.a.b}", R"({"a":{"b":"deep"}})"), "deep");
    EXPECT_EQ(eval("$request.body.a.b", R"({"a":{"b":"deep"}})"), "deep");
}

TEST(route_selection, several_variables_with_static_text) {
    EXPECT_EQ(eval("${request.body.service}/${request.body.action}",
                   R"({"service":"chat","action":"join"})"),
              "chat/join");
    EXPECT_EQ(eval("v1:$request.body.action!", R"({"action":"go"})"), "v1:go!");
}

TEST(route_selection, missing_path_is_empty) {
    EXPECT_EQ(eval("${request.body.action}-${request.body.invalidPath}", R"({"action":"join"})"),
              "join-");
    EXPECT_EQ(eval("$request.body.action", R"({"other":1})"), "");
    EXPECT_EQ(eval("$request.body.a.b", R"({"a":"scalar"})"), "");
}

TEST(route_selection, scalars_render_as_json_text) {
    EXPECT_EQ(eval("$request.body.v", R"({"v":"raw \"q\""})"), "raw \"q\"");
    EXPECT_EQ(eval("$request.body.v", R"({"v":42})"), "42");
    EXPECT_EQ(eval("$request.body.v", R"({"v":-7})"), "-7");
    EXPECT_EQ(eval("$request.body.v", R"({"v":18446744073709551615})"), "18446744073709551615");
    EXPECT_EQ(eval("$request.body.v", R"({"v":1.5})"), "1.5");
    EXPECT_EQ(eval("$request.body.v", R"({"v":true})"), "true");
    EXPECT_EQ(eval("$request.body.v", R"({"v":false})"), "false");
    EXPECT_EQ(eval("$request.body.v", R"({"v":null})"), "null");
}

TEST(route_selection, objects_and_arrays_are_stringified) {
    // Arrays follow AWS's documented "[item1, item2]" form: items by the scalar rules,
    // separated by ", ". Objects render as compact JSON.
    EXPECT_EQ(eval("$request.body.v", R"({"v":["item1","item2"]})"), "[item1, item2]");
    EXPECT_EQ(eval("$request.body.v", R"({"v":[1,true,null,[2,3]]})"), "[1, true, null, [2, 3]]");
    EXPECT_EQ(eval("$request.body.v", R"({"v":[]})"), "[]");
    EXPECT_EQ(eval("$request.body.v", R"({"v":{"a":1,"b":"x"}})"), R"({"a":1,"b":"x"})");
    EXPECT_EQ(eval("$request.body.v", R"({"v":[{"a":1}]})"), R"([{"a":1}])");
}

TEST(route_selection, escaped_dollar_is_literal) {
    const auto e = parse_ok("\\$default");
    EXPECT_FALSE(e.uses_body());
    EXPECT_EQ(e.evaluate("not json"), "$default");
    EXPECT_EQ(e.evaluate(boost::json::value{}), "$default");
    EXPECT_EQ(eval("\\$$request.body.a", R"({"a":"x"})"), "$x");
    EXPECT_EQ(eval("a\\b", "{}"), "a\\b");  // a backslash not before '$' stays
}

TEST(route_selection, array_indexes) {
    EXPECT_EQ(eval("$request.body.items[1]", R"({"items":["a","b"]})"), "b");
    EXPECT_EQ(eval("${request.body.items[0].name}", R"({"items":[{"name":"n"}]})"), "n");
    EXPECT_EQ(eval("$request.body.m[1][0]", R"({"m":[[1],[2,3]]})"), "2");
    EXPECT_EQ(eval("$request.body.items[5]", R"({"items":["a"]})"), "");
    EXPECT_EQ(eval("$request.body.items[0]", R"({"items":{"0":"x"}})"), "");
    EXPECT_EQ(eval("$request.body.items[99999999999999999999999]", R"({"items":["a"]})"), "");
}

TEST(route_selection, non_json_body_is_nullopt) {
    const auto e = parse_ok("$request.body.action");
    EXPECT_EQ(e.evaluate("hello"), std::nullopt);
    EXPECT_EQ(e.evaluate("{\"action\":"), std::nullopt);
    EXPECT_EQ(e.evaluate(""), std::nullopt);
}

TEST(route_selection, json_non_object_body_is_not_found) {
    const auto e = parse_ok("$request.body.action");
    EXPECT_EQ(e.evaluate("\"action\""), "");
    EXPECT_EQ(e.evaluate("42"), "");
    EXPECT_EQ(e.evaluate("[{\"action\":\"x\"}]"), "");
    EXPECT_EQ(e.evaluate(boost::json::parse("null")), "");
}

TEST(route_selection, braced_names_may_hold_other_characters) {
    EXPECT_EQ(eval("${request.body.my-key}", R"({"my-key":"v"})"), "v");
    // Unbraced names stop at characters outside [A-Za-z0-9_]; the rest is static text.
    EXPECT_EQ(eval("$request.body.my-key", R"({"my":"v"})"), "v-key");
    EXPECT_EQ(eval("$request.body.a.", R"({"a":"v"})"), "v.");
}

TEST(route_selection, other_variables_are_rejected) {
    for (const char* bad :
         {"$request.header.x-api-key", "${request.header.x}", "$context.routeKey",
          "${context.authorizer.x}", "$default", "$", "x$", "${request.body.a", "${}",
          "$request.body", "$request.body.", "${request.body}", "${request.body.}",
          "$request.bodyx", "$request.body.a..b", "$request.body.a[", "$request.body.a[x]",
          "$request.body.a[]", "${request.body.a[1]b}"}) {
        auto r = route_selection_expression::parse(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, lift::errc::invalid_argument) << bad;
    }
}

TEST(route_selection, static_text_only) {
    const auto e = parse_ok("fixed");
    EXPECT_FALSE(e.uses_body());
    EXPECT_EQ(e.evaluate("not json"), "fixed");
    EXPECT_EQ(parse_ok("").evaluate("x"), "");
}

TEST(route_selection, evaluate_parsed_value) {
    const auto e = parse_ok("${request.body.service}/${request.body.action}");
    EXPECT_EQ(e.evaluate(boost::json::parse(R"({"service":"s","action":"a"})")), "s/a");
}

}  // namespace
