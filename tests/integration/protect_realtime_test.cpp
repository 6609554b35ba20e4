// Rate-limit accuracy in real time: the memory store behind the middleware with the system
// clock, a client trying every millisecond for 2.5 s against 40/s with burst 20 gets
// rate*time + burst requests through, within 5%.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <lift/core/context.hpp>
#include <lift/protect/rate_limit.hpp>
#include <lift/protect/rate_limit_store.hpp>

#include "recording_connection_api.hpp"

namespace {

using namespace std::chrono_literals;

TEST(protect_realtime, admitted_count_matches_rate_over_real_time) {
    lift::protect::memory_rate_limit_store store;
    auto limiter = lift::protect::rate_limiter::create(
        store, {.rules = {{.key = lift::protect::limit_key::connection,
                           .limit = {.rate_per_second = 40, .burst = 20}}}});
    ASSERT_TRUE(limiter);
    const auto mw = limiter->middleware();
    lift::system_clock clock;
    lift::test::recording_connection_api api;
    lift::context_services services{.api = &api, .clock = &clock};
    lift::websocket_event ev;
    ev.request_context.type = lift::event_type::message;
    ev.request_context.route_key = "$default";
    ev.request_context.connection_id = "rt";
    ev.body = "x";
    int admitted = 0;
    int attempts = 0;
    const lift::next_handler next = [&](lift::context&) -> lift::result<lift::reply> {
        ++admitted;
        return lift::reply::ok();
    };
    const std::int64_t start = clock.now_ms();
    std::int64_t now = start;
    while (now - start < 2500 && attempts < 100'000) {
        lift::context ctx{ev, services};
        ASSERT_TRUE(mw(ctx, next));
        ++attempts;
        std::this_thread::sleep_for(1ms);
        now = clock.now_ms();
    }
    // Time actually covered: from the first to the last attempt.
    const double seconds = static_cast<double>(now - start) / 1000.0;
    const double expected = 40.0 * seconds + 20;
    EXPECT_NEAR(admitted, expected, expected * 0.05)
        << admitted << " admitted of " << attempts << " over " << seconds << " s";
    EXPECT_EQ(static_cast<int>(api.posts().size()), attempts - admitted);
}

}  // namespace
