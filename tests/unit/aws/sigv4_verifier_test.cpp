#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/sigv4.hpp>
#include <lift/aws/sigv4_verifier.hpp>

#include "fake_clock.hpp"

namespace {

namespace aws = lift::aws;
using lift::test::fake_clock;

constexpr std::int64_t vector_time_ms = 1'705'751'700'000;  // 2024-01-20T11:55:00Z
constexpr std::string_view host = "dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com";
constexpr std::string_view target = "/prod/@connections/R1kmxc2VNjMCFIA%3D";

aws::credentials creds(std::string token = {}) {
    return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::move(token)};
}

// The request botocore sends for aws-reference §10.3 (a), with its Authorization value.
std::vector<aws::header> botocore_headers() {
    return {{"Host", std::string{host}},
            {"User-Agent", "Boto3/1.34 md/Botocore#1.43.11"},
            {"X-Amz-Date", "20240120T115500Z"},
            {"Authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240120/ap-northeast-1/execute-api/"
             "aws4_request, SignedHeaders=host;x-amz-date, "
             "Signature=ba4b2f8f7cfa123150fda1a334ed3c0baac109db70a75b6d2cccfa976c1bf427"},
            {"Content-Length", "5"}};
}

struct sigv4_verifier_test : ::testing::Test {
    fake_clock clock{vector_time_ms};

    aws::sigv4_verifier verifier(aws::credentials c = creds()) {
        return aws::sigv4_verifier({.credentials = std::move(c), .region = "ap-northeast-1"},
                                   clock);
    }

    std::optional<aws::sigv4_rejection> check(aws::sigv4_verifier& v,
                                              const std::vector<aws::header>& headers,
                                              std::string_view t = target,
                                              std::string_view body = "hello") {
        return v.check({"POST", t, headers, body});
    }
};

void set(std::vector<aws::header>& hs, std::string_view name, std::string value) {
    for (auto& h : hs) {
        if (h.name == name) {
            h.value = std::move(value);
            return;
        }
    }
    hs.push_back({std::string{name}, std::move(value)});
}

void drop(std::vector<aws::header>& hs, std::string_view name) {
    std::erase_if(hs, [&](const aws::header& h) { return h.name == name; });
}

TEST_F(sigv4_verifier_test, accepts_the_botocore_request_over_the_raw_path) {
    auto v = verifier();
    EXPECT_FALSE(check(v, botocore_headers()).has_value());
}

TEST_F(sigv4_verifier_test, decoded_path_or_other_body_does_not_verify) {
    auto v = verifier();
    auto r = check(v, botocore_headers(), "/prod/@connections/R1kmxc2VNjMCFIA=");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, aws::errc::invalid_signature);
    EXPECT_EQ(r->error_type, "InvalidSignatureException");
    EXPECT_EQ(r->message,
              "The request signature we calculated does not match the signature you provided. "
              "Check your AWS Secret Access Key and signing method. Consult the service "
              "documentation for details.");
    EXPECT_TRUE(check(v, botocore_headers(), target, "hellO"));
}

TEST_F(sigv4_verifier_test, missing_authorization) {
    auto v = verifier();
    auto hs = botocore_headers();
    drop(hs, "Authorization");
    auto r = check(v, hs);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, aws::errc::missing_authentication);
    EXPECT_EQ(r->error_type, "MissingAuthenticationTokenException");
    EXPECT_EQ(r->message, "Missing Authentication Token");
}

TEST_F(sigv4_verifier_test, incomplete_authorization) {
    auto v = verifier();
    auto hs = botocore_headers();
    set(hs, "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240120/ap-northeast-1/"
        "execute-api/aws4_request");
    auto r = check(v, hs);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error_type, "IncompleteSignatureException");
    EXPECT_NE(r->message.find("requires 'Signature' parameter"), std::string::npos);
    EXPECT_NE(r->message.find("requires 'SignedHeaders' parameter"), std::string::npos);

    hs = botocore_headers();
    drop(hs, "X-Amz-Date");
    r = check(v, hs);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error_type, "IncompleteSignatureException");
    EXPECT_NE(r->message.find("'X-Amz-Date'"), std::string::npos);

    hs = botocore_headers();
    set(hs, "Authorization", "Bearer abc");
    r = check(v, hs);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error_type, "IncompleteSignatureException");
}

TEST_F(sigv4_verifier_test, unknown_access_key_or_token) {
    auto v = verifier();
    auto hs = botocore_headers();
    set(hs, "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20240120/ap-northeast-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00");
    auto r = check(v, hs);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, aws::errc::unrecognized_client);
    EXPECT_EQ(r->error_type, "UnrecognizedClientException");
    EXPECT_EQ(r->message, "The security token included in the request is invalid.");

    auto with_token = verifier(creds("TOKEN"));
    r = check(with_token, botocore_headers());  // no token sent
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, aws::errc::unrecognized_client);
}

TEST_F(sigv4_verifier_test, session_token_request_verifies) {
    aws::signer signer;
    aws::signing_request sr{"DELETE", std::string{target}, "", {{"Host", std::string{host}}}, ""};
    aws::signing_params p;
    p.region = "ap-northeast-1";
    p.service = "execute-api";
    p.time = std::chrono::system_clock::time_point{std::chrono::milliseconds{vector_time_ms}};
    auto sig = signer.sign(sr, creds("FQoGZXIvYXdzEXAMPLETOKEN"), p).value();
    std::vector<aws::header> hs = {{"Host", std::string{host}}};
    for (auto& h : sig.headers()) {
        hs.push_back(h);
    }
    auto v = verifier(creds("FQoGZXIvYXdzEXAMPLETOKEN"));
    EXPECT_FALSE(v.check({"DELETE", target, hs, ""}).has_value());
    EXPECT_TRUE(v.check({"POST", target, hs, ""}).has_value());
}

TEST_F(sigv4_verifier_test, clock_skew_both_ways) {
    auto v = verifier();
    clock.set(vector_time_ms + 300'000);  // exactly 5 min later: still fine
    EXPECT_FALSE(check(v, botocore_headers()).has_value());
    clock.set(vector_time_ms + 301'000);
    auto r = check(v, botocore_headers());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, aws::errc::invalid_signature);
    EXPECT_EQ(r->message,
              "Signature expired: 20240120T115500Z is now earlier than 20240120T115501Z "
              "(20240120T120001Z - 5 min.)");
    clock.set(vector_time_ms - 301'000);
    r = check(v, botocore_headers());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->message,
              "Signature not yet current: 20240120T115500Z is still later than 20240120T115459Z "
              "(20240120T114959Z + 5 min.)");
}

TEST_F(sigv4_verifier_test, wrong_region_or_service_scope) {
    aws::sigv4_verifier other_region({.credentials = creds(), .region = "eu-west-1"}, clock);
    auto r = other_region.check({"POST", target, botocore_headers(), "hello"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error_type, "InvalidSignatureException");
    EXPECT_NE(r->message.find("region"), std::string::npos);
    aws::sigv4_verifier other_service(
        {.credentials = creds(), .region = "ap-northeast-1", .service = "dynamodb"}, clock);
    r = other_service.check({"POST", target, botocore_headers(), "hello"});
    ASSERT_TRUE(r);
    EXPECT_NE(r->message.find("service"), std::string::npos);
}

TEST_F(sigv4_verifier_test, wrong_secret_does_not_verify) {
    aws::signer signer;
    aws::signing_request sr{"POST", std::string{target}, "", {{"Host", std::string{host}}}, "hi"};
    aws::signing_params p;
    p.region = "ap-northeast-1";
    p.service = "execute-api";
    p.time = std::chrono::system_clock::time_point{std::chrono::milliseconds{vector_time_ms}};
    aws::credentials wrong = creds();
    wrong.secret_access_key = "not-the-secret";
    auto sig = signer.sign(sr, wrong, p).value();
    std::vector<aws::header> hs = {{"Host", std::string{host}}};
    for (auto& h : sig.headers()) {
        hs.push_back(h);
    }
    auto v = verifier();
    auto r = v.check({"POST", target, hs, "hi"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, aws::errc::invalid_signature);
    // And the right secret passes (the test can tell the two apart).
    auto good = signer.sign(sr, creds(), p).value();
    hs = {{"Host", std::string{host}}};
    for (auto& h : good.headers()) {
        hs.push_back(h);
    }
    EXPECT_FALSE(v.check({"POST", target, hs, "hi"}).has_value());
}

}  // namespace
