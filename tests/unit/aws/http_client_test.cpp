#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>

#include "http_test_server.hpp"
#include "test_certs.hpp"
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using lift::aws::endpoint;
using lift::aws::errc;
using lift::aws::http_client;
using lift::aws::http_client_options;
using lift::aws::http_request;
using lift::aws::parse_endpoint;
using lift::test::http_test_server;
using lift::test::ok_response;
using lift::test::server_action;
using lift::test::server_request;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

endpoint local(std::uint16_t port, bool tls = false) {
    return endpoint{tls, "127.0.0.1", port, ""};
}

http_client_options with_request_timeout(milliseconds v) {
    http_client_options o;
    o.request_timeout = v;
    return o;
}

http_client_options with_idle_timeout(milliseconds v) {
    http_client_options o;
    o.idle_timeout = v;
    return o;
}

http_client_options with_max_response_bytes(std::size_t v) {
    http_client_options o;
    o.max_response_bytes = v;
    return o;
}

http_client_options with_verify_peer(bool v) {
    http_client_options o;
    o.verify_peer = v;
    return o;
}

http_client_options with_ca_file(std::string v) {
    http_client_options o;
    o.ca_file = std::move(v);
    return o;
}

std::unique_ptr<http_client> make_client(http_client_options options = {}) {
    auto c = http_client::create(std::move(options));
    if (!c) {
        ADD_FAILURE() << c.error().message;
        return nullptr;
    }
    return std::move(*c);
}

http_request get(std::string target) {
    http_request r;
    r.target = std::move(target);
    return r;
}

http_request post(std::string target) {
    http_request r;
    r.method = "POST";
    r.target = std::move(target);
    return r;
}

server_action echo_target(const server_request& req) {
    return {ok_response(req.target), false, false};
}

// --- parse_endpoint ---------------------------------------------------------------------

TEST(ParseEndpoint, AcceptsHttpsWithDefaultPortAndNoPath) {
    auto ep = parse_endpoint("https://dynamodb.us-east-1.amazonaws.com");
    ASSERT_TRUE(ep) << ep.error().message;
    EXPECT_TRUE(ep->tls);
    EXPECT_EQ(ep->host, "dynamodb.us-east-1.amazonaws.com");
    EXPECT_EQ(ep->port, 443);
    EXPECT_EQ(ep->base_path, "");
    EXPECT_EQ(ep->host_header(), "dynamodb.us-east-1.amazonaws.com");
    EXPECT_EQ(ep->url(), "https://dynamodb.us-east-1.amazonaws.com");
}

TEST(ParseEndpoint, AcceptsHttpPortAndPath) {
    auto ep = parse_endpoint("HTTP://127.0.0.1:4566/prod/");
    ASSERT_TRUE(ep) << ep.error().message;
    EXPECT_FALSE(ep->tls);
    EXPECT_EQ(ep->host, "127.0.0.1");
    EXPECT_EQ(ep->port, 4566);
    EXPECT_EQ(ep->base_path, "/prod");
    EXPECT_EQ(ep->host_header(), "127.0.0.1:4566");
    EXPECT_EQ(ep->url(), "http://127.0.0.1:4566/prod");
}

TEST(ParseEndpoint, LoneSlashIsDroppedAndDefaultPortNotInHostHeader) {
    auto ep = parse_endpoint("http://localhost:80/");
    ASSERT_TRUE(ep) << ep.error().message;
    EXPECT_EQ(ep->base_path, "");
    EXPECT_EQ(ep->host_header(), "localhost");
    auto tls = parse_endpoint("https://abc.execute-api.eu-west-1.amazonaws.com:8443/prod");
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->host_header(), "abc.execute-api.eu-west-1.amazonaws.com:8443");
}

TEST(ParseEndpoint, AcceptsBracketedIpv6) {
    auto ep = parse_endpoint("http://[::1]:8000/x");
    ASSERT_TRUE(ep) << ep.error().message;
    EXPECT_EQ(ep->host, "::1");
    EXPECT_EQ(ep->port, 8000);
    EXPECT_EQ(ep->host_header(), "[::1]:8000");
    EXPECT_EQ(ep->url(), "http://[::1]:8000/x");
}

TEST(ParseEndpoint, RejectsBadUrls) {
    for (const char* url :
         {"ftp://host", "host:80", "", "https://", "https:///path", "http://user@host",
          "http://user:pw@host:80/", "http://host/?q=1", "http://host/#frag",
          "http://host:", "http://host:0", "http://host:65536", "http://host:12ab", "http://[::1",
          "http://[::1]x", "http://ho st/", "http://:80"}) {
        auto ep = parse_endpoint(url);
        EXPECT_FALSE(ep) << url;
        if (!ep) {
            EXPECT_EQ(ep.error().code, errc::bad_endpoint) << url;
            EXPECT_EQ(ep.error().code, lift::condition::invalid) << url;
        }
    }
}

TEST(HttpResponse, HeaderValueIsCaseInsensitiveAndFirstWins) {
    lift::aws::http_response r;
    r.headers = {{"Content-Type", "a"}, {"x-amzn-RequestId", "1"}, {"content-type", "b"}};
    EXPECT_EQ(r.header_value("content-type"), "a");
    EXPECT_EQ(r.header_value("X-AMZN-REQUESTID"), "1");
    EXPECT_FALSE(r.header_value("missing"));
}

// --- plain HTTP -------------------------------------------------------------------------

TEST(HttpClient, PostRoundTripWithHeadersAndBody) {
    server_request seen;
    std::mutex m;
    http_test_server server([&](const server_request& req) {
        std::lock_guard lock(m);
        seen = req;
        return server_action{ok_response("reply:" + req.body, "X-Reply: yes\r\n")};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    http_request req;
    req.method = "POST";
    req.target = "/a/b?x=1";
    req.headers = {{"X-Amz-Target", "DynamoDB_20120810.GetItem"},
                   {"Content-Type", "application/x-amz-json-1.0"}};
    req.body = R"({"k":1})";
    auto r = client->send(local(server.port()), req);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"(reply:{"k":1})");
    EXPECT_EQ(r->header_value("x-reply"), "yes");
    std::lock_guard lock(m);
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/a/b?x=1");
    EXPECT_EQ(seen.headers["x-amz-target"], "DynamoDB_20120810.GetItem");
    EXPECT_EQ(seen.headers["host"], "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen.headers["content-length"], "7");
    EXPECT_EQ(seen.headers["connection"], "keep-alive");
}

TEST(HttpClient, GetAndErrorStatusesAreSuccessfulSends) {
    http_test_server server([](const server_request& req) {
        if (req.target == "/missing") {
            return server_action{"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"};
        }
        return server_action{ok_response(req.method)};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port()), get("/"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "GET");
    auto missing = client->send(local(server.port()), get("/missing"));
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(missing->body, "nope");
}

TEST(HttpClient, KeepAliveReusesOneConnection) {
    http_test_server server(echo_target);
    auto client = make_client();
    ASSERT_TRUE(client);
    for (int i = 0; i < 3; ++i) {
        auto r = client->send(local(server.port()), get("/" + std::to_string(i)));
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->body, "/" + std::to_string(i));
    }
    EXPECT_EQ(client->connections_opened(), 1u);
    EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpClient, IdleConnectionClosedByServerIsRetriedOnAFreshOne) {
    // The server closes after each response without saying so: the pooled connection is dead.
    http_test_server server([](const server_request& req) {
        return server_action{ok_response(req.target), true};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    auto first = client->send(local(server.port()), get("/1"));
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(server.wait_until([&] { return server.closed() == 1; }));
    auto second = client->send(local(server.port()), get("/2"));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->body, "/2");
    EXPECT_EQ(client->connections_opened(), 2u);
    EXPECT_EQ(server.accepted(), 2);
    EXPECT_EQ(server.requests(), 2);  // the request was not processed twice
}

TEST(HttpClient, IdleConnectionsOlderThanIdleTimeoutAreNotReused) {
    http_test_server server(echo_target);
    auto client = make_client(with_idle_timeout(milliseconds(0)));
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->send(local(server.port()), get("/1")));
    ASSERT_TRUE(client->send(local(server.port()), get("/2")));
    EXPECT_EQ(client->connections_opened(), 2u);
}

TEST(HttpClient, ConnectionCloseIsNotPooled) {
    http_test_server server([](const server_request& req) {
        return server_action{ok_response(req.target, "Connection: close\r\n"), true};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    for (int i = 0; i < 2; ++i) {
        auto r = client->send(local(server.port()), get("/x"));
        ASSERT_TRUE(r) << r.error().message;
    }
    EXPECT_EQ(client->connections_opened(), 2u);
    EXPECT_EQ(server.requests(), 2);
}

TEST(HttpClient, StalledServerTimesOutWithinBound) {
    http_test_server server([](const server_request&) { return server_action{"", false, true}; });
    auto client = make_client(with_request_timeout(milliseconds(300)));
    ASSERT_TRUE(client);
    const auto start = steady::now();
    auto r = client->send(local(server.port()), get("/"));
    const auto elapsed = steady::now() - start;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::timeout) << r.error().message;
    EXPECT_EQ(r.error().code, lift::condition::retryable);
    EXPECT_NE(r.error().message.find("127.0.0.1:"), std::string::npos) << r.error().message;
    EXPECT_GE(elapsed, milliseconds(250));
    EXPECT_LT(elapsed, milliseconds(2000));
}

TEST(HttpClient, CallerDeadlineBoundsTheCall) {
    http_test_server server([](const server_request&) { return server_action{"", false, true}; });
    auto client = make_client();  // request_timeout 10 s
    ASSERT_TRUE(client);
    const auto start = steady::now();
    auto r = client->send(local(server.port()), get("/"), start + milliseconds(200));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::timeout) << r.error().message;
    EXPECT_LT(steady::now() - start, milliseconds(2000));
    auto past = client->send(local(server.port()), get("/"), start);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().code, errc::timeout);
}

TEST(HttpClient, ClosedPortIsConnectFailed) {
    // A bound but not listening socket: connecting is refused, and no one else can take the port.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const auto port = ntohs(addr.sin_port);
    auto client = make_client();
    ASSERT_TRUE(client);
    auto r = client->send(local(port), get("/"));
    ::close(fd);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::connect_failed) << r.error().message;
    EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << r.error().message;
}

TEST(HttpClient, GarbageResponseIsBadResponse) {
    http_test_server server([](const server_request&) {
        return server_action{"NOT HTTP AT ALL\r\n\r\n", true};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port()), get("/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_response) << r.error().message;
}

TEST(HttpClient, OversizedResponseIsBadResponse) {
    http_test_server server([](const server_request& req) {
        if (req.target == "/chunked") {
            std::string chunk(1000, 'x');
            std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            for (int i = 0; i < 5; ++i) {
                raw += "3e8\r\n" + chunk + "\r\n";
            }
            raw += "0\r\n\r\n";
            return server_action{raw};
        }
        return server_action{ok_response(std::string(4096, 'x'))};
    });
    auto client = make_client(with_max_response_bytes(1024));
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port()), get("/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_response) << r.error().message;
    auto chunked = client->send(local(server.port()), get("/chunked"));
    ASSERT_FALSE(chunked);
    EXPECT_EQ(chunked.error().code, errc::bad_response) << chunked.error().message;
}

TEST(HttpClient, ChunkedBodyIsJoined) {
    http_test_server server([](const server_request&) {
        return server_action{
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port()), get("/"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "hello world");
    auto again = client->send(local(server.port()), get("/"));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(HttpClient, ServerClosingMidResponseIsConnectionLost) {
    http_test_server server([](const server_request&) {
        return server_action{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", true};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port()), get("/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::connection_lost) << r.error().message;
}

TEST(HttpClient, ConcurrentSendsFromFourThreads) {
    http_test_server server(echo_target);
    auto client = make_client();
    ASSERT_TRUE(client);
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                const std::string target = "/" + std::to_string(t) + "/" + std::to_string(i);
                auto r = client->send(local(server.port()), get(target));
                if (r && r->status == 200 && r->body == target) {
                    good.fetch_add(1);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(good.load(), 200);
    EXPECT_LE(client->connections_opened(), 4u);
    EXPECT_GE(client->connections_opened(), 1u);
}

// --- send_many --------------------------------------------------------------------------

TEST(HttpClientSendMany, TwoHundredRequestsInOrderWithBoundedConcurrency) {
    std::mutex m;
    std::condition_variable cv;
    http_test_server* self = nullptr;
    http_test_server server([&](const server_request& req) {
        // Hold the first request until a second one is in flight (bounded), so a serial
        // client cannot pass the concurrency check by luck.
        if (req.target == "/item/0" && self != nullptr) {
            self->wait_until([&] { return self->in_flight() >= 2; }, milliseconds(2000));
        }
        return server_action{ok_response(req.target.substr(6))};
    });
    self = &server;
    auto client = make_client();
    ASSERT_TRUE(client);
    std::vector<http_request> requests;
    for (int i = 0; i < 200; ++i) {
        requests.push_back(post("/item/" + std::to_string(i)));
    }
    auto results = client->send_many(local(server.port()), requests, 8);
    ASSERT_EQ(results.size(), 200u);
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(results[static_cast<std::size_t>(i)])
            << i << ": " << results[static_cast<std::size_t>(i)].error().message;
        EXPECT_EQ(results[static_cast<std::size_t>(i)]->body, std::to_string(i));
    }
    EXPECT_LE(server.max_in_flight(), 8);
    EXPECT_GT(server.max_in_flight(), 1);
    EXPECT_LE(client->connections_opened(), 8u);
    EXPECT_EQ(server.requests(), 200);
    (void)m;
    (void)cv;

    // The connections went back to the pool: a later send opens none.
    const auto opened = client->connections_opened();
    ASSERT_TRUE(client->send(local(server.port()), get("/item/x")));
    EXPECT_EQ(client->connections_opened(), opened);
}

TEST(HttpClientSendMany, StartsFromPooledConnections) {
    http_test_server server(echo_target);
    auto client = make_client();
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->send(local(server.port()), get("/warm")));
    std::vector<http_request> requests(10, get("/x"));
    auto results = client->send_many(local(server.port()), requests, 1);
    for (const auto& r : results) {
        ASSERT_TRUE(r) << r.error().message;
    }
    EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(HttpClientSendMany, StalledServerAndDeadlineGiveTimeoutsForTheUnfinished) {
    http_test_server server([](const server_request& req) {
        const int id = std::stoi(req.target.substr(1));
        if (id < 5) {
            return server_action{ok_response(req.target)};
        }
        return server_action{"", false, true};
    });
    auto client = make_client();
    ASSERT_TRUE(client);
    std::vector<http_request> requests;
    for (int i = 0; i < 20; ++i) {
        requests.push_back(get("/" + std::to_string(i)));
    }
    const auto start = steady::now();
    // One worker: requests 0..4 are answered in order, 5 stalls until the deadline.
    auto results = client->send_many(local(server.port()), requests, 1, start + milliseconds(300));
    const auto elapsed = steady::now() - start;
    ASSERT_EQ(results.size(), 20u);
    for (std::size_t i = 0; i < 20; ++i) {
        if (i < 5) {
            ASSERT_TRUE(results[i]) << i << ": " << results[i].error().message;
            EXPECT_EQ(results[i]->body, "/" + std::to_string(i));
        } else {
            ASSERT_FALSE(results[i]) << i;
            EXPECT_EQ(results[i].error().code, errc::timeout) << i << results[i].error().message;
        }
    }
    EXPECT_LT(elapsed, milliseconds(3000));

    // Several workers: all outstanding ones stall and end at the deadline.
    const auto start2 = steady::now();
    auto many = client->send_many(local(server.port()), requests, 4, start2 + milliseconds(300));
    EXPECT_LT(steady::now() - start2, milliseconds(3000));
    int timeouts = 0;
    for (std::size_t i = 0; i < many.size(); ++i) {
        if (!many[i]) {
            EXPECT_EQ(many[i].error().code, errc::timeout) << i;
            ++timeouts;
        } else {
            EXPECT_EQ(many[i]->body, "/" + std::to_string(i));
        }
    }
    EXPECT_EQ(timeouts, 15);
}

TEST(HttpClientSendMany, EmptyInputAndBadTargets) {
    http_test_server server(echo_target);
    auto client = make_client();
    ASSERT_TRUE(client);
    EXPECT_TRUE(client->send_many(local(server.port()), {}, 4).empty());
    std::vector<http_request> requests{get("/ok"), get("nope")};
    auto results = client->send_many(local(server.port()), requests, 0);
    ASSERT_EQ(results.size(), 2u);
    ASSERT_TRUE(results[0]) << results[0].error().message;
    ASSERT_FALSE(results[1]);
    EXPECT_EQ(results[1].error().code, errc::bad_endpoint);
}

// --- TLS --------------------------------------------------------------------------------

class HttpClientTls : public ::testing::Test {
protected:
    void SetUp() override {
        ca_key_ = lift::test::make_key();
        ca_ = lift::test::make_cert(ca_key_.get(), "lift test CA", "", true, nullptr, nullptr);
        ca_file_ = dir_.path() / "ca.pem";
        lift::test::write_pem(ca_.get(), ca_file_);
        key_ = lift::test::make_key();
    }

    lift::test::ssl_ctx_ptr server_ctx(const std::string& san) {
        leaf_ =
            lift::test::make_cert(key_.get(), "localhost", san, false, ca_.get(), ca_key_.get());
        return lift::test::make_server_ctx(leaf_.get(), key_.get());
    }

    lift::test::temp_dir dir_;
    lift::test::pkey_ptr ca_key_;
    lift::test::x509_ptr ca_;
    lift::test::pkey_ptr key_;
    lift::test::x509_ptr leaf_;
    std::filesystem::path ca_file_;
};

TEST_F(HttpClientTls, SucceedsWithTheTestCaAndReusesTheConnection) {
    auto ctx = server_ctx("DNS:localhost,IP:127.0.0.1");
    http_test_server server(echo_target, ctx.get());
    auto client = make_client(with_ca_file(ca_file_.string()));
    ASSERT_TRUE(client);
    EXPECT_EQ(client->options().ca_file, ca_file_.string());
    for (int i = 0; i < 2; ++i) {
        auto r = client->send(local(server.port(), true), get("/secure"));
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->body, "/secure");
    }
    EXPECT_EQ(client->connections_opened(), 1u);
    // By name too (SNI + DNS name check), when localhost resolves to 127.0.0.1.
    auto by_name = client->send(endpoint{true, "localhost", server.port(), ""}, get("/name"));
    if (by_name) {
        EXPECT_EQ(by_name->body, "/name");
    } else {
        EXPECT_NE(by_name.error().code, errc::tls_failed) << by_name.error().message;
    }
}

TEST_F(HttpClientTls, IdleConnectionClosedByServerIsRetried) {
    auto ctx = server_ctx("IP:127.0.0.1");
    http_test_server server(
        [](const server_request& req) {
            return server_action{ok_response(req.target), true};
        },
        ctx.get());
    auto client = make_client(with_ca_file(ca_file_.string()));
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->send(local(server.port(), true), get("/1")));
    ASSERT_TRUE(server.wait_until([&] { return server.closed() == 1; }));
    auto second = client->send(local(server.port(), true), get("/2"));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->body, "/2");
    EXPECT_EQ(client->connections_opened(), 2u);
    EXPECT_EQ(server.requests(), 2);
}

TEST_F(HttpClientTls, SendManyOverTls) {
    auto ctx = server_ctx("IP:127.0.0.1");
    http_test_server server(echo_target, ctx.get());
    auto client = make_client(with_ca_file(ca_file_.string()));
    ASSERT_TRUE(client);
    std::vector<http_request> requests;
    for (int i = 0; i < 30; ++i) {
        requests.push_back(get("/" + std::to_string(i)));
    }
    auto results = client->send_many(local(server.port(), true), requests, 4);
    for (std::size_t i = 0; i < results.size(); ++i) {
        ASSERT_TRUE(results[i]) << results[i].error().message;
        EXPECT_EQ(results[i]->body, "/" + std::to_string(i));
    }
    EXPECT_LE(client->connections_opened(), 4u);
}

TEST_F(HttpClientTls, SelfSignedCertificateFailsAgainstTheDefaultTrustStore) {
    auto self_key = lift::test::make_key();
    auto self_signed = lift::test::make_cert(self_key.get(), "localhost",
                                             "DNS:localhost,IP:127.0.0.1", false, nullptr, nullptr);
    auto ctx = lift::test::make_server_ctx(self_signed.get(), self_key.get());
    http_test_server server(echo_target, ctx.get());
    auto client = make_client();
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port(), true), get("/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::tls_failed) << r.error().message;
    EXPECT_EQ(r.error().code, lift::condition::auth);
    EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("self-signed"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(server.port())),
              std::string::npos)
        << r.error().message;
}

TEST_F(HttpClientTls, UnknownCaFails) {
    auto ctx = server_ctx("IP:127.0.0.1");
    http_test_server server(echo_target, ctx.get());
    auto client = make_client();  // system trust store: does not know the test CA
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port(), true), get("/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::tls_failed) << r.error().message;
}

TEST_F(HttpClientTls, HostNameMismatchFails) {
    auto ctx = server_ctx("DNS:localhost");  // no IP SAN
    http_test_server server(echo_target, ctx.get());
    auto client = make_client(with_ca_file(ca_file_.string()));
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port(), true), get("/"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::tls_failed) << r.error().message;
    EXPECT_NE(r.error().message.find("mismatch"), std::string::npos) << r.error().message;
}

TEST_F(HttpClientTls, VerifyPeerOffAcceptsAnyCertificate) {
    auto ctx = server_ctx("DNS:localhost");
    http_test_server server(echo_target, ctx.get());
    auto client = make_client(with_verify_peer(false));
    ASSERT_TRUE(client);
    auto r = client->send(local(server.port(), true), get("/"));
    ASSERT_TRUE(r) << r.error().message;
}

TEST(HttpClientCreate, MissingCaFileIsTlsFailed) {
    auto c = http_client::create(with_ca_file("/nonexistent/lift/ca.pem"));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::tls_failed);
    EXPECT_NE(c.error().message.find("/nonexistent/lift/ca.pem"), std::string::npos)
        << c.error().message;
}

}  // namespace
