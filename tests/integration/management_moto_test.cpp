// management_client against moto_server's `apigatewaymanagementapi` (a peer we did not write).
// The test starts moto_server itself on a free loopback port and stops it by pid.
//
// What moto (5.x) offers, and so what can be checked here:
// - server mode recognizes `@connections` only at the root (`http://127.0.0.1:PORT`, no stage:
//   a signed `/{stage}/@connections/...` is routed to the API Gateway v1 backend and 404s);
// - every id exists (a defaultdict): no 410, no 403, no 413, no 429, no signature checks;
// - GetConnection answers epoch seconds as JSON numbers (not ISO 8601), sourceIp
//   "192.168.0.1", userAgent "Moto Mocks"; posted data is kept but never exposed;
// - DeleteConnection answers 200 `{}` and forgets the id, so a later GetConnection shows a
//   freshly created connection (a later connectedAt): the one observable effect of delete.
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/http.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/core/clock.hpp>

#include "aws_servers.hpp"

namespace {

namespace aws = lift::aws;
using namespace std::chrono_literals;

class management_moto_test : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = lift::test::start_moto_server(problem_); }

    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        ASSERT_TRUE(server_) << problem_;
        auto client = aws::http_client::create({});
        ASSERT_TRUE(client) << client.error().message;
        http_ = std::move(*client);
        aws::management_config config;
        config.target = aws::parse_endpoint(server_->endpoint()).value();
        config.region = "us-east-1";
        config.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
        config.on_gone = [this](std::string_view id) {
            gone_.emplace_back(id);
        };
        api_ = std::make_unique<aws::management_client>(*http_, std::move(config));
    }

    static std::unique_ptr<lift::test::server_process> server_;
    static std::string problem_;
    std::unique_ptr<aws::http_client> http_;
    std::unique_ptr<aws::management_client> api_;
    std::vector<std::string> gone_;
    lift::system_clock clock_;
};

std::unique_ptr<lift::test::server_process> management_moto_test::server_;
std::string management_moto_test::problem_;

TEST_F(management_moto_test, post_get_delete) {
    const std::string id = "R1kmxc2VNjMCFIA=";  // '=' goes out as %3D
    auto posted = api_->post_to_connection(id, R"({"hello":"moto"})");
    ASSERT_TRUE(posted) << posted.error().message;

    const std::int64_t now = clock_.now_ms();
    auto info = api_->get_connection(id);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_LT(std::llabs(info->connected_at - now), 120'000) << info->connected_at;
    EXPECT_GE(info->last_active_at, info->connected_at);
    EXPECT_EQ(info->source_ip, "192.168.0.1");
    ASSERT_TRUE(info->user_agent.has_value());
    EXPECT_EQ(*info->user_agent, "Moto Mocks");

    // GetConnection again: the same connection (connectedAt unchanged).
    auto again = api_->get_connection(id);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->connected_at, info->connected_at);

    auto deleted = api_->delete_connection(id);
    ASSERT_TRUE(deleted) << deleted.error().message;
    // moto forgot it: the next lookup makes a new connection with a later connectedAt.
    auto fresh = api_->get_connection(id);
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_GT(fresh->connected_at, info->connected_at);
    EXPECT_TRUE(gone_.empty());
}

TEST_F(management_moto_test, post_many_reports_every_id_in_order) {
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
        ids.push_back("conn-" + std::to_string(i) + "=");
    }
    ids.emplace_back("-leading-dash");
    auto results = api_->post_many(ids, "fan-out");
    ASSERT_EQ(results.size(), ids.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_TRUE(results[i]) << ids[i] << ": " << results[i].error().message;
    }
    // Each id now exists in moto's backend (created by the post): GetConnection finds it.
    auto info = api_->get_connection(ids.back());
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->source_ip, "192.168.0.1");
}

TEST_F(management_moto_test, a_stage_path_is_not_routed_by_moto) {
    // Documents the limit above (and that the client reports it as a typed error, not a crash).
    aws::management_config config;
    config.target = aws::parse_endpoint(server_->endpoint() + "/prod").value();
    config.credentials = {"AKIDEXAMPLE", "secret", ""};
    aws::management_client staged(*http_, std::move(config));
    auto r = staged.post_to_connection("abc", "x");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("HTTP 404"), std::string::npos) << r.error().message;
}

}  // namespace
