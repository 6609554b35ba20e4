// The YAML subset parser behind template loading (src/gateway/yaml.hpp).
#include "yaml.hpp"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using lift::gateway::detail::parse_yaml;

json::value yaml(const std::string& text) {
    auto r = parse_yaml(text);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message) << "\n--- input:\n" << text;
    return r ? *r : json::value();
}

std::string yaml_error(const std::string& text) {
    auto r = parse_yaml(text);
    EXPECT_FALSE(r.has_value()) << "parsed as " << (r ? json::serialize(*r) : "");
    if (r) {
        return {};
    }
    EXPECT_EQ(r.error().code, lift::errc::parse_error);
    return r.error().message;
}

TEST(yaml, block_mappings_and_sequences) {
    const auto v = yaml(
        "a: 1\n"
        "b:\n"
        "  c: x\n"
        "  d:\n"
        "    - one\n"
        "    - two: 2\n"
        "      three: 3\n"
        "    -\n"
        "      nested: true\n"
        "    - - inner\n"
        "      - list\n"
        "e:\n"
        "- same indent as key\n"
        "- second\n"
        "f: last\n");
    EXPECT_EQ(v, json::parse(R"({"a":1,"b":{"c":"x","d":["one",{"two":2,"three":3},)"
                             R"({"nested":true},["inner","list"]]},)"
                             R"("e":["same indent as key","second"],"f":"last"})"));
}

TEST(yaml, empty_values_are_null) {
    EXPECT_EQ(yaml("a:\nb: ~\nc: null\nd:\n  # only a comment\ne: x\n"),
              json::parse(R"({"a":null,"b":null,"c":null,"d":null,"e":"x"})"));
    EXPECT_EQ(yaml("- \n- a\n"), json::parse(R"([null,"a"])"));
    EXPECT_EQ(yaml(""), json::value());
    EXPECT_EQ(yaml("# nothing\n"), json::value());
}

TEST(yaml, flow_collections) {
    EXPECT_EQ(yaml("a: [x, 'y', \"z\", 1, {Ref: X}, []]\n"),
              json::parse(R"({"a":["x","y","z",1,{"Ref":"X"},[]]})"));
    EXPECT_EQ(yaml("a: {b: [1, 2], \"c\":3, d, e: }\n"),
              json::parse(R"({"a":{"b":[1,2],"c":3,"d":null,"e":null}})"));
    // Across lines, with comments and a trailing comma.
    EXPECT_EQ(yaml("a: [one,   # first\n    two,\n    three,\n  ]\nb: c\n"),
              json::parse(R"({"a":["one","two","three"],"b":"c"})"));
    // JSON is a flow mapping.
    EXPECT_EQ(yaml(R"({"k": [true, false, null, -1.5e2, "s\u00e9"]})"),
              json::parse(R"({"k":[true,false,null,-150.0,"sé"]})"));
    // ':' inside plain flow scalars (ARNs, Fn::X keys); '{' and '}' are not (quote ${...}).
    EXPECT_EQ(
        yaml("- {Fn::GetAtt: [A, Arn], k: arn:aws:x:y, s: 'a:${AWS::Region}'}\n"),
        json::parse(R"([{"Fn::GetAtt":["A","Arn"],"k":"arn:aws:x:y","s":"a:${AWS::Region}"}])"));
    EXPECT_EQ(yaml("a: [1 2]\n"), json::parse(R"({"a":["1 2"]})"));
}

TEST(yaml, plain_scalar_types) {
    const auto v = yaml(
        "int: 42\nneg: -7\nhex: 0x1F\noct: 0o17\nfloat: 1.5\nexp: 1e3\ndot: .5\n"
        "t: true\nf: False\nver: 2010-09-09\ndots: 1.2.3\nquoted: '10'\n"
        "dollar: $request.body.action\nkey: $connect\nspaces: a b  c\nhash: a#b\n"
        "colon: a:b\nurl: https://example.com/x\n");
    EXPECT_EQ(v.at("int"), json::value(42));
    EXPECT_EQ(v.at("neg"), json::value(-7));
    EXPECT_EQ(v.at("hex"), json::value(31));
    EXPECT_EQ(v.at("oct"), json::value(15));
    EXPECT_EQ(v.at("float"), json::value(1.5));
    EXPECT_EQ(v.at("exp"), json::value(1000.0));
    EXPECT_EQ(v.at("dot"), json::value(0.5));
    EXPECT_EQ(v.at("t"), json::value(true));
    EXPECT_EQ(v.at("f"), json::value(false));
    EXPECT_EQ(v.at("ver"), json::value("2010-09-09"));
    EXPECT_EQ(v.at("dots"), json::value("1.2.3"));
    EXPECT_EQ(v.at("quoted"), json::value("10"));
    EXPECT_EQ(v.at("dollar"), json::value("$request.body.action"));
    EXPECT_EQ(v.at("key"), json::value("$connect"));
    EXPECT_EQ(v.at("spaces"), json::value("a b  c"));
    EXPECT_EQ(v.at("hash"), json::value("a#b"));
    EXPECT_EQ(v.at("colon"), json::value("a:b"));
    EXPECT_EQ(v.at("url"), json::value("https://example.com/x"));
}

TEST(yaml, multi_line_plain_scalars_fold) {
    EXPECT_EQ(yaml("a: one\n  two\n\n  three\nb: x\n"),
              json::parse(R"({"a":"one two\nthree","b":"x"})"));
    EXPECT_EQ(yaml("- first\n  continued\n- second\n"),
              json::parse(R"(["first continued","second"])"));
}

TEST(yaml, quoted_scalars) {
    EXPECT_EQ(yaml("a: 'it''s # not a comment'\n"), json::parse(R"({"a":"it's # not a comment"})"));
    EXPECT_EQ(yaml(R"(a: "tab\there \"q\" back\\slash \x41\u00e9\U0001F600 \ud83d\ude00 \/")"),
              json::parse(R"({"a":"tab\there \"q\" back\\slash Aé😀 😀 /"})"));
    EXPECT_EQ(yaml("a: \"one\n  two\n\n  three\"\n"), json::parse(R"({"a":"one two\nthree"})"));
    EXPECT_EQ(yaml("a: \"join\\\n   ed\"\n"), json::parse(R"({"a":"joined"})"));
    EXPECT_EQ(yaml("a: 'x\n  y'\n"), json::parse(R"({"a":"x y"})"));
    EXPECT_EQ(yaml("\"quoted key\": 1\n'other: key': 2\n"),
              json::parse(R"({"quoted key":1,"other: key":2})"));
    EXPECT_EQ(yaml("a: \"\"\nb: ''\n"), json::parse(R"({"a":"","b":""})"));
}

TEST(yaml, literal_block_scalars) {
    EXPECT_EQ(yaml("a: |\n  line 1\n    more\n  line 3\n\nb: x\n"),
              json::parse(R"({"a":"line 1\n  more\nline 3\n","b":"x"})"));
    EXPECT_EQ(yaml("a: |-\n  no newline\n\n\nb: x\n"),
              json::parse(R"({"a":"no newline","b":"x"})"));
    EXPECT_EQ(yaml("a: |+\n  keep\n\n\nb: x\n"), json::parse(R"({"a":"keep\n\n\n","b":"x"})"));
    EXPECT_EQ(yaml("a: |2\n    two extra\n  base\n"),
              json::parse(R"({"a":"  two extra\nbase\n"})"));
    EXPECT_EQ(yaml("a: |  # comment after the header\n  x\n"), json::parse(R"({"a":"x\n"})"));
    EXPECT_EQ(yaml("a: |\nb: x\n"), json::parse(R"({"a":"","b":"x"})"));
    EXPECT_EQ(yaml("- |\n  in a list\n- y\n"), json::parse(R"(["in a list\n","y"])"));
    EXPECT_EQ(yaml("a: |\n  # not a comment\n  x\n"),
              json::parse(R"({"a":"# not a comment\nx\n"})"));
}

TEST(yaml, folded_block_scalars) {
    EXPECT_EQ(yaml("a: >\n  one\n  two\n\n  three\n    indented\n  four\n"),
              json::parse(R"({"a":"one two\nthree\n  indented\nfour\n"})"));
    EXPECT_EQ(yaml("a: >-\n  folded\n  text\n"), json::parse(R"({"a":"folded text"})"));
    EXPECT_EQ(yaml("a: >+\n  kept\n\n"), json::parse(R"({"a":"kept\n\n"})"));
}

TEST(yaml, comments_and_document_markers) {
    EXPECT_EQ(
        yaml("# head\n%YAML 1.2\n---\na: 1 # trailing\n# between\nb: [x] # after flow\n...\n"),
        json::parse(R"({"a":1,"b":["x"]})"));
    EXPECT_EQ(yaml("--- {a: 1}\n"), json::parse(R"({"a":1})"));
}

TEST(yaml, windows_line_ends_and_bom) {
    EXPECT_EQ(yaml("\xEF\xBB\xBF"
                   "a: 1\r\nb:\r\n  - x\r\n"),
              json::parse(R"({"a":1,"b":["x"]})"));
}

TEST(yaml, cloudformation_tags) {
    const auto v = yaml(
        "ref: !Ref Thing\n"
        "att: !GetAtt Fn.Arn\n"
        "att_nested: !GetAtt Res.Outputs.Name\n"
        "att_list: !GetAtt [Fn, Arn]\n"
        "sub: !Sub \"arn:${AWS::Region}:${Fn.Arn}\"\n"
        "sub_vars: !Sub\n"
        "  - '${A}-${B}'\n"
        "  - A: !Ref X\n"
        "    B: b\n"
        "sub_flow: !Sub [ '${A}', { A: !Ref Y } ]\n"
        "join: !Join\n"
        "  - '/'\n"
        "  - - integrations\n"
        "    - !Ref Integ\n"
        "if: !If [IsProd, !Ref A, !Ref 'AWS::NoValue']\n"
        "eq: !Equals [!Ref Stage, prod]\n"
        "cond: !Condition IsProd\n"
        "b64: !Base64\n"
        "  Fn::Sub: |\n"
        "    echo ${X}\n"
        "azs: !GetAZs\n"
        "str: !!str 123\n"
        "seq:\n"
        "  - !Ref One\n"
        "  - !Select [0, !Split [',', !Ref L]]\n");
    EXPECT_EQ(v.at("ref"), json::parse(R"({"Ref":"Thing"})"));
    EXPECT_EQ(v.at("att"), json::parse(R"({"Fn::GetAtt":["Fn","Arn"]})"));
    EXPECT_EQ(v.at("att_nested"), json::parse(R"({"Fn::GetAtt":["Res","Outputs.Name"]})"));
    EXPECT_EQ(v.at("att_list"), json::parse(R"({"Fn::GetAtt":["Fn","Arn"]})"));
    EXPECT_EQ(v.at("sub"), json::parse(R"({"Fn::Sub":"arn:${AWS::Region}:${Fn.Arn}"})"));
    EXPECT_EQ(v.at("sub_vars"),
              json::parse(R"({"Fn::Sub":["${A}-${B}",{"A":{"Ref":"X"},"B":"b"}]})"));
    EXPECT_EQ(v.at("sub_flow"), json::parse(R"({"Fn::Sub":["${A}",{"A":{"Ref":"Y"}}]})"));
    EXPECT_EQ(v.at("join"), json::parse(R"({"Fn::Join":["/",["integrations",{"Ref":"Integ"}]]})"));
    EXPECT_EQ(v.at("if"),
              json::parse(R"({"Fn::If":["IsProd",{"Ref":"A"},{"Ref":"AWS::NoValue"}]})"));
    EXPECT_EQ(v.at("eq"), json::parse(R"({"Fn::Equals":[{"Ref":"Stage"},"prod"]})"));
    EXPECT_EQ(v.at("cond"), json::parse(R"({"Condition":"IsProd"})"));
    EXPECT_EQ(v.at("b64"), json::parse(R"({"Fn::Base64":{"Fn::Sub":"echo ${X}\n"}})"));
    EXPECT_EQ(v.at("azs"), json::parse(R"({"Fn::GetAZs":""})"));
    EXPECT_EQ(v.at("str"), json::value("123"));
    EXPECT_EQ(v.at("seq"), json::parse(R"([{"Ref":"One"},)"
                                       R"({"Fn::Select":[0,{"Fn::Split":[",",{"Ref":"L"}]}]}])"));
}

TEST(yaml, errors_carry_line_and_column) {
    EXPECT_EQ(yaml_error("a: 1\nb: &anchor x\n"),
              "2:4: anchors (&name) are not supported in templates");
    EXPECT_EQ(yaml_error("a: 1\nb: *anchor\n"),
              "2:4: aliases (*name) are not supported in templates");
    EXPECT_EQ(yaml_error("a:\n\tb: 1\n"),
              "2:1: tab character used for indentation (indent with spaces)");
    EXPECT_EQ(yaml_error("a: 1\n  b: 2\n"),
              "2:4: mapping values are not allowed here (quote the "
              "scalar if ': ' is part of it)");
    EXPECT_EQ(yaml_error("a:\n    b: 1\n  c: 2\n"),
              "3:3: unexpected indentation (the keys of this mapping are at column 1)");
    EXPECT_EQ(yaml_error("a: 1\nb: 2\na: 3\n"), "3:1: duplicate mapping key 'a'");
    EXPECT_EQ(yaml_error("a: x\nb: \"open\n\n"), "2:4: unterminated double-quoted scalar");
    EXPECT_EQ(yaml_error("a: 'open\n"), "1:4: unterminated single-quoted scalar");
    EXPECT_EQ(yaml_error("a: \"bad \\q\"\n"), "1:9: unknown escape '\\q'");
    EXPECT_EQ(yaml_error("a: b: c\n"),
              "1:5: mapping values are not allowed here (quote the "
              "scalar if ': ' is part of it)");
    EXPECT_EQ(yaml_error("a: [1, 2\n"), "1:4: unterminated flow sequence (missing ']')");
    EXPECT_EQ(yaml_error("a: {b: 1\n"), "1:4: unterminated flow mapping (missing '}')");
    EXPECT_EQ(yaml_error("a: [1, 2}\n"), "1:9: expected ',' or ']' in a flow sequence");
    EXPECT_EQ(yaml_error("- {Fn::Sub: a${X}}\n"), "1:15: expected ',' or '}' in a flow mapping");
    EXPECT_EQ(yaml_error("? complex\n: value\n"),
              "1:1: complex mapping keys ('? ') are not supported");
    EXPECT_EQ(yaml_error("a: 1\n---\nb: 2\n"),
              "2:1: more than one YAML document; a template is a single document");
    EXPECT_EQ(yaml_error("a: !Foo.Bar x\n"), "1:4: unsupported tag '!Foo.Bar'");
    EXPECT_EQ(yaml_error("a: !GetAtt NoDot\n"),
              "1:4: !GetAtt needs 'Resource.Attribute', got 'NoDot'");
    EXPECT_EQ(yaml_error("a: \"x\" trailing\n"), "1:8: unexpected text after a quoted scalar");
    EXPECT_EQ(yaml_error("- a\nb: 1\n"), "2:1: unexpected content (check the indentation)");
    EXPECT_EQ(yaml_error("a:\n  - x\n  b: 1\n"),
              "3:3: unexpected indentation (the keys of this mapping are at column 1)");
    EXPECT_EQ(yaml_error("a: @x\n"),
              "1:4: '@' is reserved and cannot start a plain scalar (quote it)");
}

TEST(yaml, deep_nesting_is_bounded) {
    EXPECT_EQ(yaml_error(std::string(500, '[')), "1:200: nesting is too deep");
}

}  // namespace
