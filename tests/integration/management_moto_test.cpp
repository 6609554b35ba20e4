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
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/http.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/core/clock.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace aws = lift::aws;
using namespace std::chrono_literals;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Binds 127.0.0.1:0, reads the port, closes (moto_server then binds it).
std::uint16_t free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    std::uint16_t port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        ::close(fd);
    }
    return port;
}

bool accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in a = loopback(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// moto_server on 127.0.0.1:PORT for the lifetime of the object.
class moto_server {
public:
    moto_server() : port_(free_loopback_port()) {
        const std::string port_text = std::to_string(port_);
        const std::string log = ::testing::TempDir() + "moto_server_" + port_text + ".log";
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        std::vector<std::string> args = {"moto_server", "-H", "127.0.0.1", "-p", port_text};
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        const int rc = posix_spawnp(&pid_, "moto_server", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            problem_ =
                "cannot start moto_server (is it on PATH? it ships with the pyenv python3): " +
                std::string{std::strerror(rc)};
            return;
        }
        // Bounded wait for the port to accept (moto imports take a few seconds).
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (accepts(port_)) {
                return;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                problem_ = "moto_server exited before accepting connections; see " + log;
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
        problem_ = "moto_server did not accept connections within 60 s; see " + log;
    }

    ~moto_server() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }

    moto_server(const moto_server&) = delete;
    moto_server& operator=(const moto_server&) = delete;

    const std::string& problem() const { return problem_; }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    std::uint16_t port_;
    pid_t pid_ = -1;
    std::string problem_;
};

class management_moto_test : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new moto_server(); }

    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }

    void SetUp() override {
        ASSERT_TRUE(server_->problem().empty()) << server_->problem();
        auto client = aws::http_client::create({});
        ASSERT_TRUE(client) << client.error().message;
        http_ = std::move(*client);
        aws::management_config config;
        config.target = aws::parse_endpoint(server_->url()).value();
        config.region = "us-east-1";
        config.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
        config.on_gone = [this](std::string_view id) {
            gone_.emplace_back(id);
        };
        api_ = std::make_unique<aws::management_client>(*http_, std::move(config));
    }

    static moto_server* server_;
    std::unique_ptr<aws::http_client> http_;
    std::unique_ptr<aws::management_client> api_;
    std::vector<std::string> gone_;
    lift::system_clock clock_;
};

moto_server* management_moto_test::server_ = nullptr;

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
    config.target = aws::parse_endpoint(server_->url() + "/prod").value();
    config.credentials = {"AKIDEXAMPLE", "secret", ""};
    aws::management_client staged(*http_, std::move(config));
    auto r = staged.post_to_connection("abc", "x");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("HTTP 404"), std::string::npos) << r.error().message;
}

}  // namespace
