// lift::protect's DynamoDB backends (rate-limit buckets and idempotency records) against
// moto_server and dynalite, each started once per suite on a free loopback port and stopped by
// pid (the concurrency tests use moto's app served one request at a time: see moto_serial);
// every test gets a fresh table (the connection table layout: pk/sk, TTL on `ttl`).
// Includes concurrent callers from several threads: never more admissions than the bucket
// holds, exactly one execution of concurrent duplicates.
#include <atomic>
#include <barrier>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/context.hpp>
#include <lift/protect/dynamodb_idempotency_store.hpp>
#include <lift/protect/dynamodb_rate_limit_store.hpp>
#include <lift/protect/idempotency.hpp>
#include <lift/protect/rate_limit.hpp>

#include "aws_servers.hpp"
#include "fake_clock.hpp"
#include "recording_connection_api.hpp"
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using lift::protect::begin_state;
using lift::protect::bucket_limit;

constexpr std::int64_t t0 = 1'700'000'000'000;

// For the concurrency tests: moto's server app run by werkzeug with threaded=False, so requests
// are served one at a time. moto_server itself is threaded and its DynamoDB backend takes no lock:
// two conditional UpdateItems with the same expected version can both succeed (seen here: 25
// admissions for 20 tokens), which DynamoDB never allows. Serialising requests restores DynamoDB's
// per-item atomicity, which is what the concurrency tests rely on; the item logic is moto's own.
constexpr const char* serial_moto_script = R"(import sys
from werkzeug.serving import run_simple
from moto.server import DomainDispatcherApplication, create_backend_app
run_simple("127.0.0.1", int(sys.argv[1]), DomainDispatcherApplication(create_backend_app),
           threaded=False)
)";

struct moto {
    static std::unique_ptr<lift::test::server_process> start(std::string& e) {
        return lift::test::start_moto_server(e);
    }
};

struct moto_serial {
    static std::unique_ptr<lift::test::server_process> start(std::string& e) {
        const char* override_python = std::getenv("LIFT_MOTO_PYTHON");
        const std::string python =
            lift::test::find_executable(override_python ? override_python : "python3");
        if (python.empty()) {
            e = "python3 (with moto[server]) not found on PATH; set LIFT_MOTO_PYTHON";
            return nullptr;
        }
        return lift::test::server_process::start("moto_server (serial)",
                                                 {python, "-c", serial_moto_script, "{port}"}, e);
    }
};

struct dynalite {
    static std::unique_ptr<lift::test::server_process> start(std::string& e) {
        return lift::test::start_dynalite(e, 20);
    }
};

lift::websocket_event message(std::string route, std::string cid, std::string body) {
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::message;
    ev.request_context.route_key = std::move(route);
    ev.request_context.connection_id = std::move(cid);
    ev.request_context.request_id = "rq";
    ev.body = std::move(body);
    return ev;
}

template <class Server>
class protect_dynamodb : public testing::Test {
public:
    static void SetUpTestSuite() {
        server_error_.clear();
        server_ = Server::start(server_error_);
    }

    static void TearDownTestSuite() { server_.reset(); }

protected:
    void SetUp() override {
        ASSERT_TRUE(server_) << server_error_;
        auto http = lift::aws::http_client::create({});
        ASSERT_TRUE(http) << http.error().message;
        http_ = std::move(*http);
        lift::aws::dynamodb_config config;
        config.endpoint_override = lift::aws::parse_endpoint(server_->endpoint()).value();
        config.credentials.access_key_id = "AKIDEXAMPLE";
        config.credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        client_ = std::make_unique<lift::aws::dynamodb_client>(*http_, config);
        static std::atomic<int> serial{0};
        table_ = "protect-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
        lift::aws::connection_table_options o;
        o.poll_interval = 20ms;
        o.require_ttl = false;  // dynalite has no UpdateTimeToLive
        auto created = lift::aws::create_connection_table(*client_, table_, o);
        ASSERT_TRUE(created) << created.error().message;
    }

    lift::aws::dynamodb_client& client() { return *client_; }

    const std::string& table() const { return table_; }

    static inline std::unique_ptr<lift::test::server_process> server_;
    static inline std::string server_error_;
    std::unique_ptr<lift::aws::http_client> http_;
    std::unique_ptr<lift::aws::dynamodb_client> client_;
    std::string table_;
    lift::test::fake_clock clock_{t0};
    lift::test::recording_connection_api api_;
};

// Concurrent callers: on serialised moto and on dynalite (see moto_serial).
template <class Server>
class protect_dynamodb_concurrency : public protect_dynamodb<Server> {};

class server_names {
public:
    template <class T>
    static std::string GetName(int) {
        if constexpr (std::is_same_v<T, moto>) {
            return "moto_server";
        } else if constexpr (std::is_same_v<T, moto_serial>) {
            return "moto_serial";
        } else {
            return "dynalite";
        }
    }
};

using servers = testing::Types<moto, dynalite>;
TYPED_TEST_SUITE(protect_dynamodb, servers, server_names);
using serialising_servers = testing::Types<moto_serial, dynalite>;
TYPED_TEST_SUITE(protect_dynamodb_concurrency, serialising_servers, server_names);

// --- rate limits --------------------------------------------------------------------------

TYPED_TEST(protect_dynamodb, bucket_admits_burst_refills_and_writes_ttl) {
    lift::protect::dynamodb_rate_limit_store store{this->client(), this->table()};
    const bucket_limit limit{.rate_per_second = 2, .burst = 3};
    for (int i = 0; i < 3; ++i) {
        auto d = store.take("conn#a", limit, t0, 0);
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_TRUE(d->admitted) << i;
    }
    auto d = store.take("conn#a", limit, t0, 0);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_FALSE(d->admitted);
    EXPECT_EQ(d->retry_after_ms, 500);
    EXPECT_TRUE(store.take("conn#b", limit, t0, 0)->admitted);  // its own bucket
    EXPECT_FALSE(store.take("conn#a", limit, t0 + 499, 0)->admitted);
    EXPECT_TRUE(store.take("conn#a", limit, t0 + 500, 0)->admitted);
    // The item: tokens, ts, version and a ttl after the bucket is full again.
    auto item = this->client().get_item(
        {.table = this->table(),
         .key = {{"pk", lift::aws::attr::s("RATE#conn#a")}, {"sk", lift::aws::attr::s("RATE")}},
         .consistent_read = true});
    ASSERT_TRUE(item && *item);
    EXPECT_EQ((**item).at("ts").as_int(), t0 + 500);
    EXPECT_EQ((**item).at("v").as_int(), 4);
    const auto ttl = (**item).at("ttl").as_int();
    ASSERT_TRUE(ttl);
    EXPECT_GE(*ttl, (t0 + 500 + 1500) / 1000);
}

// 10 s of simulated time, a request every 50 ms, 5/s with burst 5: 55 admitted within 5%.
TYPED_TEST(protect_dynamodb, accuracy_over_ten_simulated_seconds) {
    lift::protect::dynamodb_rate_limit_store store{this->client(), this->table()};
    const bucket_limit limit{.rate_per_second = 5, .burst = 5};
    int admitted = 0;
    for (std::int64_t t = 0; t < 10'000; t += 50) {
        auto d = store.take("acc", limit, t0 + t, 0);
        ASSERT_TRUE(d) << d.error().message;
        admitted += d->admitted ? 1 : 0;
    }
    EXPECT_NEAR(admitted, 55, 55 * 0.05) << admitted;
}

TYPED_TEST(protect_dynamodb_concurrency, concurrent_callers_never_over_admit) {
    lift::protect::dynamodb_rate_limit_store store{
        this->client(), this->table(), {.max_attempts = 20}};
    const bucket_limit limit{.rate_per_second = 0.001, .burst = 20};
    std::atomic<int> admitted{0};
    std::atomic<int> errors{0};
    std::barrier start{6};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (int i = 0; i < 8; ++i) {
                auto d = store.take("hot", limit, t0, 0);
                if (!d) {
                    ++errors;
                } else if (d->admitted) {
                    ++admitted;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_LE(admitted.load(), 20);
    // 48 attempts for 20 tokens: contention may turn a few into rejections, never into more.
    EXPECT_GE(admitted.load(), 15);
    // Whatever was admitted, the bucket is now empty at the same instant.
    EXPECT_FALSE(store.take("hot", limit, t0, 0)->admitted);
}

TYPED_TEST(protect_dynamodb, store_errors_fail_open_or_closed) {
    // A table that does not exist: every call fails with ResourceNotFound.
    lift::protect::dynamodb_rate_limit_store missing{this->client(),
                                                     "no-such-table-" + this->table()};
    auto d = missing.take("x", {}, t0, 0);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, lift::aws::errc::resource_not_found);
    lift::context_services services{.api = &this->api_, .clock = &this->clock_};
    const auto ev = message("m", "c1", "{}");
    int calls = 0;
    const lift::next_handler next = [&](lift::context&) -> lift::result<lift::reply> {
        ++calls;
        return lift::reply::ok();
    };
    for (auto mode : {lift::protect::fail_mode::open, lift::protect::fail_mode::closed}) {
        auto limiter =
            lift::protect::rate_limiter::create(missing, {.rules = {{}}, .on_store_error = mode});
        lift::context ctx{ev, services, lift::system_clock{}.now_ms() + 5000};
        auto r = limiter->middleware()(ctx, next);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status_code, mode == lift::protect::fail_mode::open ? 200 : 429);
    }
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(this->api_.posts().size(), 1u);
}

// --- idempotency --------------------------------------------------------------------------

TYPED_TEST(protect_dynamodb, idempotency_store_lock_complete_replay_expire_release) {
    lift::protect::dynamodb_idempotency_store s{this->client(), this->table()};
    auto b = s.begin("k", "o1", t0 + 100, t0);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->state, begin_state::acquired);
    EXPECT_EQ(s.begin("k", "o2", t0 + 100, t0 + 50)->state, begin_state::in_progress);
    // Lock expired: taken over; the old owner's completion changes nothing.
    EXPECT_EQ(s.begin("k", "o2", t0 + 400, t0 + 100)->state, begin_state::acquired);
    ASSERT_TRUE(s.complete("k", "o1", {200, "stale"}, t0 + 60'000));
    EXPECT_EQ(s.begin("k", "o3", t0 + 400, t0 + 150)->state, begin_state::in_progress);
    ASSERT_TRUE(s.complete("k", "o2", {201, std::string{"fresh \"quoted\""}}, t0 + 60'000));
    auto done = s.begin("k", "o3", t0 + 400, t0 + 200);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->state, begin_state::completed);
    EXPECT_EQ(done->reply.status_code, 201);
    EXPECT_EQ(done->reply.body, "fresh \"quoted\"");
    // A completed reply without a body.
    ASSERT_EQ(s.begin("nobody", "o", t0 + 400, t0)->state, begin_state::acquired);
    ASSERT_TRUE(s.complete("nobody", "o", {204, std::nullopt}, t0 + 60'000));
    auto nb = s.begin("nobody", "p", t0 + 400, t0 + 1);
    EXPECT_EQ(nb->state, begin_state::completed);
    EXPECT_EQ(nb->reply.status_code, 204);
    EXPECT_FALSE(nb->reply.body);
    // Completed records expire (by our clock, before DynamoDB's TTL deletes them).
    EXPECT_EQ(s.begin("k", "o4", t0 + 70'000, t0 + 60'000)->state, begin_state::acquired);
    // Release: only by the owner.
    ASSERT_TRUE(s.release("k", "someone-else"));
    EXPECT_EQ(s.begin("k", "o5", t0 + 70'000, t0 + 60'001)->state, begin_state::in_progress);
    ASSERT_TRUE(s.release("k", "o4"));
    EXPECT_EQ(s.begin("k", "o5", t0 + 70'000, t0 + 60'001)->state, begin_state::acquired);
    // The item carries a ttl.
    auto item = this->client().get_item(
        {.table = this->table(),
         .key = {{"pk", lift::aws::attr::s("IDEM#k")}, {"sk", lift::aws::attr::s("IDEM")}},
         .consistent_read = true});
    ASSERT_TRUE(item && *item);
    EXPECT_EQ((**item).at("ttl").as_int(), (t0 + 70'000) / 1000 + 1);
}

TYPED_TEST(protect_dynamodb_concurrency, five_concurrent_duplicates_execute_exactly_once) {
    lift::protect::dynamodb_idempotency_store store{this->client(), this->table()};
    auto idem = lift::protect::idempotency::create(store, {});
    ASSERT_TRUE(idem);
    const auto mw = idem->middleware();
    lift::context_services services{.api = &this->api_, .clock = &this->clock_};
    const auto ev = message("pay", "c1", R"({"id":"dup-1"})");
    std::atomic<int> executions{0};
    std::atomic<int> in_progress{0};
    std::atomic<bool> release{false};
    const lift::next_handler slow = [&](lift::context&) -> lift::result<lift::reply> {
        ++executions;
        for (int i = 0; i < 5000 && !release.load(); ++i) {
            std::this_thread::sleep_for(1ms);
        }
        return lift::reply::text("paid once");
    };
    std::barrier start{5};
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 5; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            lift::context ctx{ev, services, t0 + 20'000};
            auto r = mw(ctx, slow);
            if (!r) {
                ++failures;
            } else if (r->status_code == 409 && ++in_progress == 4) {
                release = true;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(executions.load(), 1);
    EXPECT_EQ(in_progress.load(), 4);
    EXPECT_EQ(this->api_.posts().size(), 4u);
    lift::context later{ev, services, t0 + 20'000};
    auto replay = mw(later, slow);
    ASSERT_TRUE(replay);
    EXPECT_EQ(replay->body, "paid once");
    EXPECT_EQ(executions.load(), 1);
}

TYPED_TEST(protect_dynamodb, lock_expiry_after_the_deadline_lets_a_retry_run) {
    lift::protect::dynamodb_idempotency_store store{this->client(), this->table()};
    auto idem = lift::protect::idempotency::create(store, {});
    const auto mw = idem->middleware();
    lift::context_services services{.api = &this->api_, .clock = &this->clock_};
    const auto ev = message("pay", "c1", R"({"id":"late"})");
    int executions = 0;
    // The first invocation has 300 ms left; its handler "times out": it fails only after
    // another attempt saw the lock, and we simulate the Lambda being killed by not releasing:
    // take the lock directly as that invocation would have.
    {
        lift::context first{ev, services, t0 + 300};
        auto key = idem->key_of(first);
        ASSERT_TRUE(key);
        ASSERT_EQ(store.begin(*key, "killed", t0 + first.remaining_ms(), t0)->state,
                  begin_state::acquired);
    }
    const lift::next_handler run = [&](lift::context&) -> lift::result<lift::reply> {
        ++executions;
        return lift::reply::text("ran");
    };
    this->clock_.set(t0 + 299);
    lift::context early{ev, services, t0 + 29'299};
    EXPECT_EQ(mw(early, run)->status_code, 409);
    EXPECT_EQ(executions, 0);
    this->clock_.set(t0 + 300);
    lift::context retry{ev, services, t0 + 29'300};
    EXPECT_EQ(mw(retry, run)->body, "ran");
    EXPECT_EQ(executions, 1);
}

}  // namespace
