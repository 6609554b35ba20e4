#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/error.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/core/memory_store.hpp>

#include "fake_clock.hpp"

namespace {

namespace aws = lift::aws;
using lift::test::fake_clock;

// 2024-01-20T11:55:00Z, the time of the botocore vector in aws-reference §10.3 (a).
constexpr std::int64_t vector_time_ms = 1'705'751'700'000;

// Records requests; answers from a queue (per id when keyed, else in order). Responses not
// queued are 200 with an empty body.
class fake_transport final : public aws::http_transport {
public:
    struct reply {
        int status = 200;
        std::vector<aws::header> headers;
        std::string body;
        bool transport_error = false;
    };

    void queue(reply r) { replies_.push_back(std::move(r)); }

    // Replies to requests whose target ends with `suffix`, in order, before the general queue.
    void queue_for(std::string suffix, reply r) { keyed_.push_back({std::move(suffix), r}); }

    lift::result<aws::http_response> send(const aws::endpoint& to,
                                          const aws::http_request& request,
                                          std::chrono::steady_clock::time_point) override {
        std::lock_guard lock{mutex_};
        ++single_calls;
        return answer(to, request);
    }

    std::vector<lift::result<aws::http_response>> send_many(
        const aws::endpoint& to,
        std::span<const aws::http_request> batch,
        std::size_t max_in_flight,
        std::chrono::steady_clock::time_point) override {
        std::lock_guard lock{mutex_};
        ++many_calls;
        in_flight_seen.push_back(max_in_flight);
        std::vector<lift::result<aws::http_response>> out;
        for (const auto& r : batch) {
            out.push_back(answer(to, r));
        }
        return out;
    }

    std::vector<aws::http_request> requests;
    std::vector<aws::endpoint> endpoints;
    std::vector<std::size_t> in_flight_seen;
    int single_calls = 0;
    int many_calls = 0;

private:
    lift::result<aws::http_response> answer(const aws::endpoint& to, const aws::http_request& r) {
        requests.push_back(r);
        endpoints.push_back(to);
        reply rep;
        bool found = false;
        for (auto it = keyed_.begin(); it != keyed_.end(); ++it) {
            if (r.target.size() >= it->first.size() &&
                r.target.compare(r.target.size() - it->first.size(), it->first.size(), it->first) ==
                    0) {
                rep = it->second;
                keyed_.erase(it);
                found = true;
                break;
            }
        }
        if (!found && !replies_.empty()) {
            rep = replies_.front();
            replies_.pop_front();
        }
        if (rep.transport_error) {
            return lift::fail(aws::errc::connection_lost, "peer reset");
        }
        aws::http_response res;
        res.status = rep.status;
        res.headers = rep.headers;
        res.body = rep.body;
        return res;
    }

    std::mutex mutex_;
    std::deque<reply> replies_;
    std::deque<std::pair<std::string, reply>> keyed_;
};

class recording_sleeper final : public aws::sleeper {
public:
    explicit recording_sleeper(fake_clock& clock) : clock_(clock) {}

    void sleep_for(std::chrono::milliseconds d) override {
        sleeps.push_back(d);
        clock_.advance(d.count());
    }

    std::vector<std::chrono::milliseconds> sleeps;

private:
    fake_clock& clock_;
};

fake_transport::reply ok(int status = 200, std::string body = {}) {
    fake_transport::reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

fake_transport::reply transport_failure() {
    fake_transport::reply r;
    r.transport_error = true;
    return r;
}

lift::connection_record record(std::string id) {
    lift::connection_record r;
    r.connection_id = std::move(id);
    return r;
}

fake_transport::reply aws_error(int status, std::string type, std::string body = {}) {
    fake_transport::reply r;
    r.status = status;
    if (!type.empty()) {
        r.headers.push_back({"x-amzn-ErrorType", std::move(type)});
    }
    r.body = std::move(body);
    return r;
}

std::string header_of(const aws::http_request& r, std::string_view name) {
    for (const auto& h : r.headers) {
        if (h.name.size() == name.size() &&
            std::equal(h.name.begin(), h.name.end(), name.begin(),
                       [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
            return h.value;
        }
    }
    return "<absent>";
}

struct management_client_test : ::testing::Test {
    fake_clock clock{vector_time_ms};
    recording_sleeper sleeper{clock};
    aws::retry_policy policy{aws::retry_options{}, [] {
                                 return 1.0;
                             }};  // ceiling delays
    fake_transport transport;
    std::vector<std::string> gone_ids;

    aws::management_config config(std::string url = "https://abc.example.com/prod") {
        aws::management_config c;
        c.target = aws::parse_endpoint(url).value();
        c.region = "ap-northeast-1";
        c.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
        c.on_gone = [this](std::string_view id) {
            gone_ids.emplace_back(id);
        };
        return c;
    }

    aws::management_client client(aws::management_config c) {
        return aws::management_client(transport, std::move(c), policy, clock, sleeper);
    }
};

TEST(management_helpers, endpoint_for_event) {
    EXPECT_EQ(aws::management_endpoint_for("abc.execute-api.eu-west-1.amazonaws.com", "prod"),
              "https://abc.execute-api.eu-west-1.amazonaws.com/prod");
    EXPECT_EQ(aws::management_endpoint_for("ws.example.com", ""), "https://ws.example.com");
    EXPECT_EQ(aws::management_endpoint_for("ws.example.com", "/v1"), "https://ws.example.com/v1");
}

TEST(management_helpers, label_encoding_like_botocore) {
    EXPECT_EQ(aws::encode_connection_id("R1kmxc2VNjMCFIA="), "R1kmxc2VNjMCFIA%3D");
    EXPECT_EQ(aws::encode_connection_id("-a_b.c~d"), "-a_b.c~d");
    EXPECT_EQ(aws::encode_connection_id("a/b+c@d e"), "a%2Fb%2Bc%40d%20e");
}

TEST_F(management_client_test, post_matches_the_botocore_vector) {
    // aws-reference §10.3 (a): the signature botocore put in Authorization for this request.
    auto api = client(config("https://dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com/prod"));
    ASSERT_TRUE(api.post_to_connection("R1kmxc2VNjMCFIA=", "hello"));
    ASSERT_EQ(transport.requests.size(), 1u);
    const auto& r = transport.requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/prod/@connections/R1kmxc2VNjMCFIA%3D");
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(header_of(r, "Host"), "dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com");
    EXPECT_EQ(header_of(r, "X-Amz-Date"), "20240120T115500Z");
    EXPECT_EQ(header_of(r, "Authorization"),
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240120/ap-northeast-1/execute-api/"
              "aws4_request, SignedHeaders=host;x-amz-date, "
              "Signature=ba4b2f8f7cfa123150fda1a334ed3c0baac109db70a75b6d2cccfa976c1bf427");
    EXPECT_EQ(header_of(r, "X-Amz-Security-Token"), "<absent>");
    EXPECT_EQ(transport.endpoints[0].host, "dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com");
    EXPECT_TRUE(gone_ids.empty());
}

TEST_F(management_client_test, delete_with_session_token_matches_the_botocore_vector) {
    // aws-reference §10.3 (b).
    auto c = config("https://dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com/prod");
    c.credentials.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
    auto api = client(std::move(c));
    transport.queue(ok(204));
    ASSERT_TRUE(api.delete_connection("R1kmxc2VNjMCFIA="));
    const auto& r = transport.requests.at(0);
    EXPECT_EQ(r.method, "DELETE");
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(header_of(r, "X-Amz-Security-Token"), "FQoGZXIvYXdzEXAMPLETOKEN");
    EXPECT_NE(header_of(r, "Authorization")
                  .find("SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="
                        "15a847c9030bf8d3131100d1cf60336adc8302aac38c9bd5c88d9c984094ef82"),
              std::string::npos)
        << header_of(r, "Authorization");
}

TEST_F(management_client_test, local_endpoint_paths_and_ports) {
    auto api = client(config("http://127.0.0.1:4010/dev"));
    ASSERT_TRUE(api.post_to_connection("-Ab=", "x"));
    auto api2 = client(config("http://127.0.0.1:4010"));
    transport.queue(ok(200));
    ASSERT_TRUE(api2.delete_connection("q"));
    ASSERT_EQ(transport.requests.size(), 2u);
    EXPECT_EQ(transport.requests[0].target, "/dev/@connections/-Ab%3D");
    EXPECT_EQ(header_of(transport.requests[0], "Host"), "127.0.0.1:4010");
    EXPECT_EQ(transport.requests[1].target, "/@connections/q");
    EXPECT_FALSE(transport.endpoints[0].tls);
}

TEST_F(management_client_test, empty_id_is_rejected_without_a_request) {
    auto api = client(config());
    auto r = api.post_to_connection("", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::invalid_argument);
    EXPECT_FALSE(api.get_connection(""));
    EXPECT_FALSE(api.delete_connection(""));
    EXPECT_TRUE(transport.requests.empty());
}

TEST_F(management_client_test, error_mapping) {
    struct row {
        fake_transport::reply reply;
        boost::system::error_code expected;
        lift::condition cond;
    };

    const std::vector<row> rows = {
        {aws_error(410, "GoneException"), lift::errc::gone, lift::condition::gone},
        {aws_error(410, ""), lift::errc::gone, lift::condition::gone},
        {aws_error(410, "", "<html>gone</html>"), lift::errc::gone, lift::condition::gone},
        {aws_error(403, "ForbiddenException", R"({"message":"Forbidden"})"), lift::errc::forbidden,
         lift::condition::auth},
        {aws_error(413, "PayloadTooLargeException", R"({"message":"Request Entity Too Large"})"),
         lift::errc::payload_too_large, lift::condition::invalid},
        {aws_error(403, "InvalidSignatureException:http://internal", R"({"message":"no"})"),
         aws::errc::invalid_signature, lift::condition::auth},
        {aws_error(403, "", R"({"__type":"x#UnrecognizedClientException","message":"bad"})"),
         aws::errc::unrecognized_client, lift::condition::auth},
        {aws_error(403, "MissingAuthenticationTokenException"), aws::errc::missing_authentication,
         lift::condition::auth},
        {aws_error(400, "BadRequestException"), aws::errc::unknown_service_error,
         lift::condition::invalid},
    };
    for (const auto& r : rows) {
        fake_transport t;
        t.queue(r.reply);
        std::vector<std::string> gone;
        auto c = config();
        c.on_gone = [&](std::string_view id) {
            gone.emplace_back(id);
        };
        aws::management_client api(t, std::move(c), policy, clock, sleeper);
        auto res = api.post_to_connection("abc=", "x");
        ASSERT_FALSE(res) << r.reply.status;
        EXPECT_EQ(res.error().code, r.expected) << res.error().message;
        if (r.expected != aws::errc::unknown_service_error) {
            EXPECT_EQ(res.error().code, r.cond) << res.error().message;
        }
        EXPECT_EQ(t.requests.size(), 1u) << res.error().message;  // none of these is retried
        EXPECT_NE(res.error().message.find("abc="), std::string::npos) << res.error().message;
        EXPECT_EQ(gone.size(), r.expected == lift::errc::gone ? 1u : 0u);
    }
    EXPECT_TRUE(sleeper.sleeps.empty());
}

TEST_F(management_client_test, error_message_carries_aws_message) {
    auto api = client(config());
    transport.queue(aws_error(403, "ForbiddenException", R"({"message":"Forbidden"})"));
    auto r = api.get_connection("id1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "GetConnection id1: ForbiddenException (HTTP 403): Forbidden");
}

TEST_F(management_client_test, get_parses_connection_info) {
    auto api = client(config());
    transport.queue(ok(200, R"({"connectedAt":"2022-10-26T19:57:25.104Z",)"
                            R"("identity":{"sourceIp":"192.0.2.7","userAgent":"curl/8"},)"
                            R"("lastActiveAt":"2022-10-26T19:58:01.5Z"})"));
    auto info = api.get_connection("R1kmxc2VNjMCFIA=");
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->connected_at, 1'666'814'245'104);
    EXPECT_EQ(info->last_active_at, 1'666'814'281'500);
    EXPECT_EQ(info->source_ip, "192.0.2.7");
    ASSERT_TRUE(info->user_agent.has_value());
    EXPECT_EQ(*info->user_agent, "curl/8");
    const auto& r = transport.requests.at(0);
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/prod/@connections/R1kmxc2VNjMCFIA%3D");
    EXPECT_EQ(r.body, "");
}

TEST_F(management_client_test, get_null_user_agent_and_offsets) {
    auto api = client(config());
    transport.queue(ok(200, R"({"connectedAt":"2022-10-26T21:57:25+02:00",)"
                            R"("identity":{"sourceIp":"::1","userAgent":null},)"
                            R"("lastActiveAt":"2022-10-26T19:57:25Z"})"));
    auto info = api.get_connection("x");
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->connected_at, 1'666'814'245'000);
    EXPECT_EQ(info->last_active_at, 1'666'814'245'000);
    EXPECT_FALSE(info->user_agent.has_value());
}

TEST_F(management_client_test, get_accepts_epoch_seconds_like_botocore) {
    // moto_server answers with numbers (epoch seconds with a fraction); botocore accepts them.
    auto api = client(config());
    transport.queue(ok(200, R"({"connectedAt": 1795820899.046515, "lastActiveAt": 1795820900,)"
                            R"( "identity": {"sourceIp": "192.168.0.1", "userAgent": "Moto"}})"));
    auto info = api.get_connection("x");
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->connected_at, 1'795'820'899'046);
    EXPECT_EQ(info->last_active_at, 1'795'820'900'000);
}

TEST_F(management_client_test, get_malformed_bodies_are_bad_response) {
    const std::vector<std::string> bodies = {
        "",
        "not json",
        "[]",
        R"({"identity":{"sourceIp":"1.2.3.4"},"lastActiveAt":"2022-10-26T19:57:25Z"})",
        R"({"connectedAt":"yesterday","lastActiveAt":"2022-10-26T19:57:25Z"})",
        R"({"connectedAt":"2022-13-26T19:57:25Z","lastActiveAt":"2022-10-26T19:57:25Z"})",
        R"({"connectedAt":"2022-10-26T19:57:25Z","lastActiveAt":true})",
        R"({"connectedAt":"2022-10-26T19:57:25Z","lastActiveAt":-5})",
        R"({"connectedAt":"2022-10-26T19:57:25Z","lastActiveAt":"2022-10-26T19:57:25Z",)"
        R"("identity":"me"})",
        R"({"connectedAt":"2022-10-26T19:57:25Z","lastActiveAt":"2022-10-26T19:57:25Z",)"
        R"("identity":{"sourceIp":7}})",
        R"({"connectedAt":"2022-10-26T19:57:25","lastActiveAt":"2022-10-26T19:57:25Z"})",
    };
    for (const auto& body : bodies) {
        fake_transport t;
        t.queue(ok(200, body));
        aws::management_client api(t, config(), policy, clock, sleeper);
        auto r = api.get_connection("x");
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().code, aws::errc::bad_response) << body;
        EXPECT_NE(r.error().message.find("malformed"), std::string::npos);
    }
}

TEST_F(management_client_test, retries_throttling_and_server_errors_then_succeeds) {
    auto api = client(config());
    transport.queue(aws_error(429, "LimitExceededException", R"({"message":"Limit Exceeded"})"));
    transport.queue(aws_error(500, "InternalServerErrorException"));
    transport.queue(ok(200));
    ASSERT_TRUE(api.post_to_connection("abc", "x"));
    EXPECT_EQ(transport.requests.size(), 3u);
    ASSERT_EQ(sleeper.sleeps.size(), 2u);
    EXPECT_EQ(sleeper.sleeps[0].count(), 50);  // jitter 1.0: the ceilings 50, 100 ms
    EXPECT_EQ(sleeper.sleeps[1].count(), 100);
    // Each attempt is signed again at its own time (the fake clock moved by the sleeps).
    EXPECT_EQ(header_of(transport.requests[0], "X-Amz-Date"), "20240120T115500Z");
    EXPECT_EQ(header_of(transport.requests[2], "X-Amz-Date"), "20240120T115500Z");
}

TEST_F(management_client_test, transport_errors_are_retried) {
    auto api = client(config());
    transport.queue(transport_failure());
    transport.queue(ok(200));
    ASSERT_TRUE(api.post_to_connection("abc", "x"));
    EXPECT_EQ(transport.requests.size(), 2u);
}

TEST_F(management_client_test, gives_up_after_max_attempts_with_typed_error) {
    auto api = client(config());
    for (int i = 0; i < 5; ++i) {
        transport.queue(aws_error(429, "LimitExceededException"));
    }
    auto r = api.post_to_connection("abc", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::errc::limit_exceeded);
    EXPECT_EQ(transport.requests.size(), 3u);
}

TEST_F(management_client_test, gone_is_never_retried_and_hook_runs_once) {
    auto api = client(config());
    transport.queue(aws_error(410, "GoneException"));
    auto r = api.post_to_connection("dead=", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::condition::gone);
    EXPECT_EQ(transport.requests.size(), 1u);
    EXPECT_TRUE(sleeper.sleeps.empty());
    ASSERT_EQ(gone_ids.size(), 1u);
    EXPECT_EQ(gone_ids[0], "dead=");
}

TEST_F(management_client_test, budget_bounds_retries) {
    auto c = config();
    c.call_budget = std::chrono::milliseconds{120};  // room for the 50 ms wait, not the 100 ms
    auto api = client(std::move(c));
    for (int i = 0; i < 3; ++i) {
        transport.queue(aws_error(503, ""));
    }
    auto r = api.post_to_connection("abc", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, lift::condition::retryable);
    EXPECT_EQ(transport.requests.size(), 2u);
}

TEST_F(management_client_test, post_many_per_id_outcomes_in_order) {
    auto c = config();
    c.max_in_flight = 7;
    auto api = client(std::move(c));
    // a: ok; b: gone; c: throttled then ok; d: 500 then ok; e: 403; f: 410 with empty body.
    transport.queue_for("/b", aws_error(410, "GoneException"));
    transport.queue_for("/c", aws_error(429, "LimitExceededException"));
    transport.queue_for("/d", aws_error(500, ""));
    transport.queue_for("/e", aws_error(403, "ForbiddenException"));
    transport.queue_for("/f", aws_error(410, ""));
    const std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f", ""};
    auto results = api.post_many(ids, "payload");
    ASSERT_EQ(results.size(), ids.size());
    EXPECT_TRUE(results[0]);
    ASSERT_FALSE(results[1]);
    EXPECT_EQ(results[1].error().code, lift::errc::gone);
    EXPECT_TRUE(results[2]) << results[2].error().message;
    EXPECT_TRUE(results[3]) << results[3].error().message;
    ASSERT_FALSE(results[4]);
    EXPECT_EQ(results[4].error().code, lift::errc::forbidden);
    ASSERT_FALSE(results[5]);
    EXPECT_EQ(results[5].error().code, lift::errc::gone);
    ASSERT_FALSE(results[6]);
    EXPECT_EQ(results[6].error().code, lift::errc::invalid_argument);

    // Round 1 sent the six ids, round 2 only c and d; all through send_many.
    EXPECT_EQ(transport.single_calls, 0);
    EXPECT_EQ(transport.many_calls, 2);
    ASSERT_EQ(transport.requests.size(), 8u);
    EXPECT_EQ(transport.requests[6].target, "/prod/@connections/c");
    EXPECT_EQ(transport.requests[7].target, "/prod/@connections/d");
    for (const auto& r : transport.requests) {
        EXPECT_EQ(r.body, "payload");
        EXPECT_NE(header_of(r, "Authorization"), "<absent>");
    }
    EXPECT_EQ(transport.in_flight_seen, (std::vector<std::size_t>{7, 7}));
    ASSERT_EQ(sleeper.sleeps.size(), 1u);
    EXPECT_EQ(sleeper.sleeps[0].count(), 50);
    EXPECT_EQ(gone_ids, (std::vector<std::string>{"b", "f"}));
}

TEST_F(management_client_test, post_many_gives_up_after_max_rounds_and_never_resends_gone) {
    auto api = client(config());
    for (int i = 0; i < 5; ++i) {
        transport.queue_for("/t", aws_error(429, "LimitExceededException"));
    }
    transport.queue_for("/g", aws_error(410, "GoneException"));
    const std::vector<std::string> ids = {"t", "g", "g"};
    auto results = api.post_many(ids, "x");
    ASSERT_FALSE(results[0]);
    EXPECT_EQ(results[0].error().code, lift::errc::limit_exceeded);
    ASSERT_FALSE(results[1]);
    EXPECT_EQ(results[1].error().code, lift::errc::gone);
    EXPECT_TRUE(results[2]);  // the second "g" request got the default 200
    int g_requests = 0;
    int t_requests = 0;
    for (const auto& r : transport.requests) {
        g_requests += r.target.ends_with("/g") ? 1 : 0;
        t_requests += r.target.ends_with("/t") ? 1 : 0;
    }
    EXPECT_EQ(g_requests, 2);  // once per position, never re-sent
    EXPECT_EQ(t_requests, 3);  // max_attempts rounds
    EXPECT_EQ(gone_ids, (std::vector<std::string>{"g"}));
}

TEST_F(management_client_test, post_many_hook_prunes_store) {
    lift::memory_store store;
    ASSERT_TRUE(store.save(record("live")));
    ASSERT_TRUE(store.save(record("dead=")));
    auto c = config();
    c.on_gone = aws::prune_gone_from(store);
    auto api = client(std::move(c));
    transport.queue_for("/dead%3D", aws_error(410, ""));
    const std::vector<std::string> ids = {"live", "dead="};
    auto results = api.post_many(ids, "x");
    EXPECT_TRUE(results[0]);
    EXPECT_FALSE(results[1]);
    EXPECT_TRUE(store.get("live").value().has_value());
    EXPECT_FALSE(store.get("dead=").value().has_value());
}

TEST_F(management_client_test, post_many_empty_list_sends_nothing) {
    auto api = client(config());
    auto results = api.post_many({}, "x");
    EXPECT_TRUE(results.empty());
    EXPECT_EQ(transport.requests.size(), 0u);
}

}  // namespace
