#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/error.hpp>
#include <lift/protect/json_schema.hpp>

namespace {

using lift::protect::json_schema;

json_schema compiled(std::string_view schema) {
    auto s = json_schema::compile(schema);
    EXPECT_TRUE(s) << schema << ": " << (s ? "" : s.error().message);
    return s ? *s : json_schema::compile("true").value();
}

void expect_ok(std::string_view schema, std::string_view instance) {
    auto bad = compiled(schema).validate(boost::json::parse(instance));
    EXPECT_FALSE(bad) << schema << " vs " << instance << ": " << bad->path << " " << bad->reason;
}

void expect_fail(std::string_view schema,
                 std::string_view instance,
                 std::string_view path,
                 std::string_view reason) {
    auto bad = compiled(schema).validate(boost::json::parse(instance));
    ASSERT_TRUE(bad) << schema << " vs " << instance << " should fail";
    EXPECT_EQ(bad->path, path) << schema << " vs " << instance;
    EXPECT_EQ(bad->reason, reason) << schema << " vs " << instance;
}

void expect_compile_error(std::string_view schema, std::string_view message_part) {
    auto s = json_schema::compile(schema);
    ASSERT_FALSE(s) << schema;
    EXPECT_EQ(s.error().code, lift::errc::invalid_argument);
    EXPECT_NE(s.error().message.find(message_part), std::string::npos) << s.error().message;
}

TEST(json_schema_type, each_type_passes_and_fails) {
    expect_ok(R"({"type":"null"})", "null");
    expect_fail(R"({"type":"null"})", "0", "", "must be of type null");
    expect_ok(R"({"type":"boolean"})", "false");
    expect_fail(R"({"type":"boolean"})", "\"true\"", "", "must be of type boolean");
    expect_ok(R"({"type":"object"})", "{}");
    expect_fail(R"({"type":"object"})", "[]", "", "must be of type object");
    expect_ok(R"({"type":"array"})", "[1]");
    expect_fail(R"({"type":"array"})", "{}", "", "must be of type array");
    expect_ok(R"({"type":"string"})", "\"x\"");
    expect_fail(R"({"type":"string"})", "1", "", "must be of type string");
    expect_ok(R"({"type":"number"})", "1.5");
    expect_ok(R"({"type":"number"})", "-3");
    expect_fail(R"({"type":"number"})", "\"1\"", "", "must be of type number");
}

TEST(json_schema_type, integer_accepts_integral_numbers_only) {
    expect_ok(R"({"type":"integer"})", "3");
    expect_ok(R"({"type":"integer"})", "3.0");
    expect_ok(R"({"type":"integer"})", "18446744073709551615");
    expect_ok(R"({"type":"integer"})", "-9223372036854775808");
    expect_fail(R"({"type":"integer"})", "3.5", "", "must be of type integer");
    expect_fail(R"({"type":"integer"})", "\"3\"", "", "must be of type integer");
}

TEST(json_schema_type, array_of_types) {
    const char* s = R"({"type":["string","null"]})";
    expect_ok(s, "\"a\"");
    expect_ok(s, "null");
    expect_fail(s, "1", "", "must be of type null or string");
    expect_ok(R"({"type":["integer","string"]})", "2");
    expect_fail(R"({"type":["integer","boolean"]})", "2.5", "",
                "must be of type boolean or integer");
}

TEST(json_schema_enum_const, pass_and_fail) {
    const char* e = R"({"enum":["red","green",1,null,{"a":[1]}]})";
    expect_ok(e, "\"red\"");
    expect_ok(e, "1.0");  // numbers compare by value
    expect_ok(e, "null");
    expect_ok(e, R"({"a":[1]})");
    expect_fail(e, "\"blue\"", "", R"(must be one of "red", "green", 1, null, {"a":[1]})");
    expect_fail(e, R"({"a":[2]})", "", R"(must be one of "red", "green", 1, null, {"a":[1]})");
    expect_ok(R"({"const":"v1"})", "\"v1\"");
    expect_fail(R"({"const":"v1"})", "\"v2\"", "", R"(must be "v1")");
    expect_ok(R"({"const":2})", "2.0");
    expect_fail(R"({"const":{"k":true}})", R"({"k":false})", "", R"(must be {"k":true})");
}

TEST(json_schema_numbers, minimum_maximum_and_exclusive_forms) {
    expect_ok(R"({"minimum":1})", "1");
    expect_fail(R"({"minimum":1})", "0", "", "must be >= 1");
    expect_fail(R"({"minimum":1})", "0.5", "", "must be >= 1");
    expect_ok(R"({"maximum":10})", "10");
    expect_fail(R"({"maximum":10})", "10.01", "", "must be <= 10");
    expect_ok(R"({"exclusiveMinimum":0})", "0.001");
    expect_fail(R"({"exclusiveMinimum":0})", "0", "", "must be > 0");
    expect_ok(R"({"exclusiveMaximum":1.5})", "1.4");
    expect_fail(R"({"exclusiveMaximum":1.5})", "1.5", "", "must be < 1.5");
    // Numeric keywords ignore other types.
    expect_ok(R"({"minimum":5})", "\"abc\"");
}

TEST(json_schema_strings, length_counts_code_points_not_bytes) {
    expect_ok(R"({"minLength":2,"maxLength":3})", "\"ab\"");
    expect_fail(R"({"minLength":2})", "\"a\"", "", "must have at least 2 characters");
    expect_fail(R"({"maxLength":3})", "\"abcd\"", "", "must have at most 3 characters");
    // "héé" is 3 code points and 5 bytes; "😀😀" is 2 code points and 8 bytes.
    expect_ok(R"({"maxLength":3})", R"("h\u00e9\u00e9")");
    expect_ok(R"({"maxLength":2})", R"("\ud83d\ude00\ud83d\ude00")");
    expect_fail(R"({"maxLength":1})", R"("\ud83d\ude00\ud83d\ude00")", "",
                "must have at most 1 characters");
    EXPECT_EQ(lift::protect::utf8_length("h\xc3\xa9"), 2u);
}

TEST(json_schema_strings, pattern_is_not_anchored) {
    expect_ok(R"({"pattern":"b+"})", "\"abbbc\"");
    expect_fail(R"({"pattern":"^b+$"})", "\"abbbc\"", "", "must match pattern ^b+$");
    expect_ok(R"({"pattern":"^[a-z0-9-]{3,8}$"})", "\"room-1\"");
    expect_fail(R"({"pattern":"^[a-z]+$"})", "\"Room\"", "", "must match pattern ^[a-z]+$");
    expect_ok(R"({"pattern":"^x"})", "12");  // pattern ignores non-strings
}

TEST(json_schema_arrays, items_min_max) {
    const char* s = R"({"type":"array","minItems":1,"maxItems":3,"items":{"type":"integer"}})";
    expect_ok(s, "[1,2,3]");
    expect_fail(s, "[]", "", "must have at least 1 items");
    expect_fail(s, "[1,2,3,4]", "", "must have at most 3 items");
    expect_fail(s, "[1,\"2\",3]", "/1", "must be of type integer");
}

TEST(json_schema_objects, required_properties_and_additional) {
    const char* s = R"({
        "type":"object",
        "required":["id","qty"],
        "properties":{"id":{"type":"string"},"qty":{"type":"integer","minimum":1}},
        "additionalProperties":false})";
    expect_ok(s, R"({"id":"a","qty":2})");
    expect_fail(s, R"({"qty":2})", "/id", "is required");
    expect_fail(s, R"({"id":"a"})", "/qty", "is required");
    expect_fail(s, R"({"id":"a","qty":0})", "/qty", "must be >= 1");
    expect_fail(s, R"({"id":"a","qty":1,"extra":true})", "/extra", "is not an allowed property");
    // additionalProperties as a schema.
    const char* t = R"({"properties":{"a":{}},"additionalProperties":{"type":"number"}})";
    expect_ok(t, R"({"a":"x","b":1,"c":2.5})");
    expect_fail(t, R"({"a":"x","b":"y"})", "/b", "must be of type number");
    expect_ok(R"({"additionalProperties":true})", R"({"z":1})");
}

TEST(json_schema_objects, nested_paths_are_json_pointers) {
    const char* s = R"({
        "type":"object",
        "properties":{"items":{"type":"array","items":{
            "type":"object","required":["qty"],
            "properties":{"qty":{"type":"integer","minimum":1}}}}}})";
    expect_ok(s, R"({"items":[{"qty":1},{"qty":5}]})");
    expect_fail(s, R"({"items":[{"qty":1},{"qty":2},{"qty":0}]})", "/items/2/qty", "must be >= 1");
    expect_fail(s, R"({"items":[{"qty":1},{}]})", "/items/1/qty", "is required");
    // '/' and '~' in member names are escaped.
    expect_fail(R"({"properties":{"a/b":{"properties":{"c~d":{"type":"string"}}}}})",
                R"({"a/b":{"c~d":1}})", "/a~1b/c~0d", "must be of type string");
}

TEST(json_schema_boolean, true_and_false_schemas) {
    expect_ok("true", R"({"anything":[1]})");
    expect_fail("false", "1", "", "is not allowed");
    expect_fail(R"({"properties":{"never":false}})", R"({"never":0})", "/never", "is not allowed");
}

TEST(json_schema_annotations, are_ignored) {
    expect_ok(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","title":"t",
                 "description":"d","default":1,"examples":[1],"$comment":"c","$id":"x"})",
              "1");
}

TEST(json_schema_compile, unsupported_keywords_and_bad_values_are_errors) {
    expect_compile_error(R"({"oneOf":[{}]})", "unsupported keyword 'oneOf' at /");
    expect_compile_error(R"({"properties":{"a":{"format":"email"}}})",
                         "unsupported keyword 'format' at /properties/a");
    expect_compile_error(R"({"type":"int"})", "'type' must name");
    expect_compile_error(R"({"type":[]})", "'type' must not be an empty array");
    expect_compile_error(R"({"minimum":"1"})", "'minimum' must be a number at /minimum");
    expect_compile_error(R"({"exclusiveMinimum":true})", "draft-4 boolean form");
    expect_compile_error(R"({"minLength":-1})", "'minLength' must be a non-negative integer");
    expect_compile_error(R"({"maxItems":1.5})", "'maxItems' must be a non-negative integer");
    expect_compile_error(R"({"pattern":"(unclosed"})", "bad regular expression");
    expect_compile_error(R"({"pattern":5})", "'pattern' must be a string");
    expect_compile_error(R"({"items":[{}]})", "tuple form");
    expect_compile_error(R"({"required":[1]})", "'required' must be an array of strings");
    expect_compile_error(R"({"enum":[]})", "'enum' must be a non-empty array");
    expect_compile_error(R"({"properties":[]})", "'properties' must be an object");
    expect_compile_error(R"({"minLength":3,"maxLength":2})", "greater than 'maxLength'");
    expect_compile_error("3", "a schema must be an object or a boolean");
    auto not_json = json_schema::compile(std::string_view{"{nope"});
    ASSERT_FALSE(not_json);
    EXPECT_EQ(not_json.error().code, lift::errc::parse_error);
}

TEST(json_schema, copies_share_the_compiled_form_and_are_usable_across_threads) {
    auto s = compiled(R"({"type":"integer"})");
    const json_schema copy = s;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_FALSE(copy.validate(boost::json::parse("1")));
    EXPECT_TRUE(copy.validate(boost::json::parse("1.5")));
}

TEST(json_pointer, tokens_are_escaped) {
    std::string p;
    lift::protect::append_pointer_token(p, "a/b~c");
    EXPECT_EQ(p, "/a~1b~0c");
}

}  // namespace
