#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/aws/sigv4.hpp>

namespace {

namespace aws = lift::aws;
namespace json = boost::json;
using namespace std::chrono;

constexpr std::string_view suite_key_id = "AKIDEXAMPLE";
constexpr std::string_view suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view empty_hash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

system_clock::time_point suite_time() {
    return sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
}

aws::credentials suite_creds(std::string token = {}) {
    return {std::string(suite_key_id), std::string(suite_secret), std::move(token)};
}

aws::signing_params make_params(std::string region,
                                std::string service,
                                system_clock::time_point time) {
    aws::signing_params p;
    p.region = std::move(region);
    p.service = std::move(service);
    p.time = time;
    return p;
}

aws::signing_params suite_params() {
    return make_params("us-east-1", "service", suite_time());
}

// Parses the digits of "YYYY?MM?DD?hh?mm?ss" at the given offsets (g++ 12 has no chrono::parse).
system_clock::time_point parse_time(const std::string& s, std::array<std::size_t, 6> at) {
    auto num = [&](std::size_t i, std::size_t n) {
        return std::stoi(s.substr(at[i], n));
    };
    const year_month_day ymd{year{num(0, 4)}, month{static_cast<unsigned>(num(1, 2))},
                             day{static_cast<unsigned>(num(2, 2))}};
    return sys_days{ymd} + hours{num(3, 2)} + minutes{num(4, 2)} + seconds{num(5, 2)};
}

aws::signing_request get_root(std::string path = "/") {
    return {"GET", std::move(path), "", {{"Host", "example.amazonaws.com"}}, ""};
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string hex_sha256_of_last_line(const std::string& sts) {
    return sts.substr(sts.rfind('\n') + 1);
}

// --- aws-reference 10.2 spot values (committed constants) ---------------------------------

TEST(sigv4, suite_get_vanilla) {
    aws::signer signer;
    auto s = signer.sign(get_root(), suite_creds(), suite_params());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->canonical_request,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
              "host;x-amz-date\n" +
                  std::string(empty_hash));
    EXPECT_EQ(hex_sha256_of_last_line(s->string_to_sign),
              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    EXPECT_EQ(s->signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    EXPECT_EQ(s->authorization,
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, "
              "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    EXPECT_EQ(s->amz_date, "20150830T123600Z");
}

TEST(sigv4, suite_get_utf8) {
    aws::signer signer;
    auto s = signer.sign(get_root("/\xE1\x88\xB4"), suite_creds(), suite_params());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->canonical_request.substr(0, 15), "GET\n/%E1%88%B4\n");
    EXPECT_EQ(s->signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(sigv4, suite_get_vanilla_with_session_token) {
    aws::signer signer;
    const auto creds =
        suite_creds("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
    auto s = signer.sign(get_root(), creds, suite_params());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->signed_header_names, "host;x-amz-date;x-amz-security-token");
    EXPECT_EQ(s->signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
    EXPECT_EQ(s->security_token, creds.session_token);
}

TEST(sigv4, suite_get_header_value_trim) {
    auto req = get_root();
    req.headers.push_back({"My-Header1", " value1"});
    req.headers.push_back({"My-Header2", " \"a   b   c\""});
    auto c = aws::canonical_request(req, suite_creds(), suite_params());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_NE(c->find("\nmy-header1:value1\nmy-header2:\"a b c\"\n"), std::string::npos) << *c;
}

// --- behaviour ----------------------------------------------------------------------------

TEST(sigv4, headers_to_add) {
    aws::signer signer;
    auto s = signer.sign(get_root(), suite_creds("tok"), suite_params());
    ASSERT_TRUE(s);
    const auto h = s->headers();
    ASSERT_EQ(h.size(), 3U);
    EXPECT_EQ(h[0].name, "Authorization");
    EXPECT_EQ(h[1].name, "X-Amz-Date");
    EXPECT_EQ(h[1].value, "20150830T123600Z");
    EXPECT_EQ(h[2].name, "X-Amz-Security-Token");
    EXPECT_EQ(h[2].value, "tok");
    EXPECT_TRUE(s->content_sha256.empty());  // botocore does not send it for these services
}

TEST(sigv4, double_encodes_wire_path) {
    aws::signing_request req{
        "POST", "/prod/@connections/R1kmxc2VNjMCFIA%3D", "", {{"Host", "h"}}, "hello"};
    auto c = aws::canonical_request(req, suite_creds(), suite_params());
    ASSERT_TRUE(c);
    EXPECT_EQ(c->substr(0, c->find('\n', 5)), "POST\n/prod/%40connections/R1kmxc2VNjMCFIA%253D");
}

TEST(sigv4, sign_body_adds_content_sha256) {
    aws::signer signer;
    auto params = suite_params();
    params.sign_body = true;
    auto s = signer.sign(get_root(), suite_creds(), params);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->content_sha256, empty_hash);
    EXPECT_EQ(s->signed_header_names, "host;x-amz-content-sha256;x-amz-date");
    EXPECT_EQ(s->headers().back().name, "X-Amz-Content-SHA256");
}

TEST(sigv4, payload_hash_override) {
    auto params = suite_params();
    params.payload_hash = "UNSIGNED-PAYLOAD";
    EXPECT_FALSE(aws::canonical_request(get_root(), suite_creds(), params));
    params.payload_hash = std::string(64, 'A');
    auto c = aws::canonical_request(get_root(), suite_creds(), params);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->ends_with(std::string(64, 'a')));
}

TEST(sigv4, rejects_bad_input) {
    aws::signer signer;
    const auto invalid = make_error_code(lift::errc::invalid_argument);

    auto no_host = get_root();
    no_host.headers.clear();
    auto r = signer.sign(no_host, suite_creds(), suite_params());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, invalid);

    EXPECT_FALSE(signer.sign(get_root("relative"), suite_creds(), suite_params()));

    auto bad_query = get_root();
    bad_query.query = "a=%zz";
    EXPECT_FALSE(signer.sign(bad_query, suite_creds(), suite_params()));
    bad_query.query = "a=%2";
    EXPECT_FALSE(signer.sign(bad_query, suite_creds(), suite_params()));

    auto bad_header = get_root();
    bad_header.headers.push_back({"Bad Name", "x"});
    EXPECT_FALSE(signer.sign(bad_header, suite_creds(), suite_params()));

    EXPECT_FALSE(signer.sign(get_root(), {"", "secret", ""}, suite_params()));
    auto no_region = suite_params();
    no_region.region.clear();
    EXPECT_FALSE(signer.sign(get_root(), suite_creds(), no_region));

    auto old = suite_params();
    old.time = system_clock::time_point{} - hours{24};
    EXPECT_FALSE(signer.sign(get_root(), suite_creds(), old));
    EXPECT_EQ(signer.cached_keys(), 0U);
}

TEST(sigv4, skips_unsigned_headers) {
    auto req = get_root();
    req.headers.push_back({"User-Agent", "x"});
    req.headers.push_back({"X-Amzn-Trace-Id", "y"});
    req.headers.push_back({"Connection", "keep-alive"});
    req.headers.push_back({"Authorization", "old"});
    req.headers.push_back({"X-Amz-Date", "19990101T000000Z"});
    aws::signer signer;
    auto s = signer.sign(req, suite_creds(), suite_params());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(sigv4, caches_signing_keys_per_scope) {
    aws::signer signer;
    auto params = suite_params();
    ASSERT_TRUE(signer.sign(get_root(), suite_creds(), params));
    ASSERT_TRUE(signer.sign(get_root(), suite_creds(), params));
    EXPECT_EQ(signer.cached_keys(), 1U);
    params.service = "dynamodb";
    ASSERT_TRUE(signer.sign(get_root(), suite_creds(), params));
    EXPECT_EQ(signer.cached_keys(), 2U);
    params.time += hours{24};  // a new day drops the old keys
    ASSERT_TRUE(signer.sign(get_root(), suite_creds(), params));
    EXPECT_EQ(signer.cached_keys(), 1U);
    // A cached key gives the same signature as a fresh signer.
    params = suite_params();
    auto cached = signer.sign(get_root(), suite_creds(), params);
    auto fresh = aws::signer{}.sign(get_root(), suite_creds(), params);
    ASSERT_TRUE(cached && fresh);
    EXPECT_EQ(cached->signature, fresh->signature);
}

TEST(sigv4, format_amz_date) {
    auto d = aws::format_amz_date(suite_time() + milliseconds{999});
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, "20150830T123600Z");
}

// --- our own vectors, generated with botocore (tests/data/sigv4/generate.py) ---------------

TEST(sigv4, botocore_vectors) {
    const std::filesystem::path dir = std::filesystem::path(LIFT_TEST_DATA_DIR) / "sigv4";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".json") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 5U);
    aws::signer signer;
    for (const auto& file : files) {
        SCOPED_TRACE(file.filename().string());
        const json::object v = json::parse(read_text(file)).as_object();
        const auto& c = v.at("credentials").as_object();
        const auto& r = v.at("request").as_object();
        aws::credentials creds{json::value_to<std::string>(c.at("access_key_id")),
                               json::value_to<std::string>(c.at("secret_access_key")),
                               json::value_to<std::string>(c.at("session_token"))};
        aws::signing_request req;
        req.method = json::value_to<std::string>(r.at("method"));
        req.path = json::value_to<std::string>(r.at("path"));
        req.query = json::value_to<std::string>(r.at("query"));
        req.payload = json::value_to<std::string>(r.at("payload"));
        for (const auto& h : r.at("headers").as_array()) {
            req.headers.push_back({json::value_to<std::string>(h.as_array().at(0)),
                                   json::value_to<std::string>(h.as_array().at(1))});
        }
        const std::string amz_date = json::value_to<std::string>(v.at("amz_date"));
        const auto params = make_params(json::value_to<std::string>(v.at("region")),
                                        json::value_to<std::string>(v.at("service")),
                                        parse_time(amz_date, {0, 4, 6, 9, 11, 13}));
        auto s = signer.sign(req, creds, params);
        ASSERT_TRUE(s) << s.error().message;
        EXPECT_EQ(s->amz_date, amz_date);
        EXPECT_EQ(s->canonical_request, v.at("canonical_request").as_string());
        EXPECT_EQ(s->string_to_sign, v.at("string_to_sign").as_string());
        EXPECT_EQ(s->signature, v.at("signature").as_string());
        EXPECT_EQ(s->authorization, v.at("authorization").as_string());
    }
}

TEST(sigv4, botocore_reference_signatures) {
    // aws-reference 10.3, so a regenerated vector set cannot silently drift.
    const std::filesystem::path dir = std::filesystem::path(LIFT_TEST_DATA_DIR) / "sigv4";
    auto sig = [&](const char* name) {
        return json::value_to<std::string>(
            json::parse(read_text(dir / name)).as_object().at("signature"));
    };
    EXPECT_EQ(sig("post-to-connection.json"),
              "ba4b2f8f7cfa123150fda1a334ed3c0baac109db70a75b6d2cccfa976c1bf427");
    EXPECT_EQ(sig("delete-connection-session-token.json"),
              "15a847c9030bf8d3131100d1cf60336adc8302aac38c9bd5c88d9c984094ef82");
    EXPECT_EQ(sig("dynamodb-get-item.json"),
              "ea0c6b48b71611fa2370c06eb0d8f7626adb0dba381d0181748645b1123b5d9b");
}

// --- the public aws-c-auth suite, when ../shared/data/sigv4-test-suite exists --------------

struct suite_case {
    aws::signing_request request;
    aws::credentials creds;
    aws::signing_params params;
};

std::string strip_newline(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

// request.txt: "METHOD target HTTP/1.1", header lines (indented lines continue the previous
// value), a blank line, then the body. The target holds the unencoded logical path.
suite_case load_suite_case(const std::filesystem::path& dir) {
    suite_case sc;
    const std::string raw = read_text(dir / "request.txt");
    const std::size_t line_end = raw.find('\n');
    const std::string line = raw.substr(0, line_end);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.rfind(' ');
    sc.request.method = line.substr(0, sp1);
    std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (const auto q = target.find('?'); q != std::string::npos) {
        sc.request.query = target.substr(q + 1);
        target.resize(q);
    }
    sc.request.path = target;
    std::size_t pos = line_end == std::string::npos ? raw.size() : line_end + 1;
    while (pos < raw.size()) {
        std::size_t end = raw.find('\n', pos);
        if (end == std::string::npos) {
            end = raw.size();
        }
        const std::string header_line = raw.substr(pos, end - pos);
        pos = end + 1;
        if (header_line.empty()) {
            sc.request.payload = pos < raw.size() ? raw.substr(pos) : std::string{};
            break;
        }
        if ((header_line[0] == ' ' || header_line[0] == '\t') && !sc.request.headers.empty()) {
            sc.request.headers.back().value += " " + header_line;
            continue;
        }
        const std::size_t colon = header_line.find(':');
        sc.request.headers.push_back({header_line.substr(0, colon), header_line.substr(colon + 1)});
    }

    const json::object ctx = json::parse(read_text(dir / "context.json")).as_object();
    const auto& c = ctx.at("credentials").as_object();
    sc.creds.access_key_id = json::value_to<std::string>(c.at("access_key_id"));
    sc.creds.secret_access_key = json::value_to<std::string>(c.at("secret_access_key"));
    if (c.contains("token")) {
        sc.creds.session_token = json::value_to<std::string>(c.at("token"));
    }
    sc.params.region = json::value_to<std::string>(ctx.at("region"));
    sc.params.service = json::value_to<std::string>(ctx.at("service"));
    sc.params.time =
        parse_time(json::value_to<std::string>(ctx.at("timestamp")), {0, 5, 8, 11, 14, 17});
    sc.params.normalize_path = ctx.at("normalize").as_bool();
    sc.params.sign_body = ctx.at("sign_body").as_bool();
    if (const auto* omit = ctx.if_contains("omit_session_token")) {
        sc.params.omit_session_token = omit->as_bool();
    }
    return sc;
}

TEST(sigv4, aws_signing_test_suite) {
    const std::filesystem::path root = LIFT_SIGV4_SUITE_DIR;
    if (!std::filesystem::is_directory(root)) {
        GTEST_SKIP() << "no " << root;
    }
    std::vector<std::filesystem::path> cases;
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
        if (entry.is_directory() && std::filesystem::exists(entry.path() / "context.json")) {
            cases.push_back(entry.path());
        }
    }
    std::sort(cases.begin(), cases.end());
    std::size_t passed = 0;
    aws::signer signer;
    for (const auto& dir : cases) {
        SCOPED_TRACE(dir.filename().string());
        const suite_case sc = load_suite_case(dir);
        auto s = signer.sign(sc.request, sc.creds, sc.params);
        ASSERT_TRUE(s) << s.error().message;
        const std::string creq = strip_newline(read_text(dir / "header-canonical-request.txt"));
        const std::string sts = strip_newline(read_text(dir / "header-string-to-sign.txt"));
        const std::string sig = strip_newline(read_text(dir / "header-signature.txt"));
        EXPECT_EQ(s->canonical_request, creq);
        EXPECT_EQ(s->string_to_sign, sts);
        EXPECT_EQ(s->signature, sig);
        if (s->canonical_request == creq && s->string_to_sign == sts && s->signature == sig) {
            ++passed;
        }
    }
    std::cout << "[ SIGV4    ] " << passed << "/" << cases.size()
              << " aws-c-auth suite cases pass\n";
    EXPECT_EQ(passed, cases.size());
    EXPECT_GE(cases.size(), 38U);
}

}  // namespace
