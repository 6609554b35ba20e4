#include "metrics_totals.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/metrics.hpp>

namespace {

TEST(metrics_totals, sums_counts_and_extremes_per_name) {
    lift::gateway::detail::metrics_totals totals;
    EXPECT_EQ(boost::json::parse(totals.to_json()),
              boost::json::parse(R"({"invocations":0,"metrics":{}})"));
    lift::metrics a;
    a.add("Messages", 1, lift::metric_unit::count, {{"route", "x"}});
    a.add("Messages", 1, lift::metric_unit::count, {{"route", "y"}});
    a.add("HandlerLatency", 0.5, lift::metric_unit::milliseconds);
    a.add("HandlerLatency", 2.25, lift::metric_unit::milliseconds);
    totals.add(0, a);
    lift::metrics b;
    b.add("HandlerLatency", 0.25, lift::metric_unit::milliseconds);
    totals.add(0, b);
    const auto v = boost::json::parse(totals.to_json());
    EXPECT_EQ(v.at("invocations"), 2);
    const auto& m = v.at("metrics");
    EXPECT_EQ(m.at("Messages").at("sum"), 2);  // whole numbers are JSON integers
    EXPECT_EQ(m.at("Messages").at("count"), 2);
    EXPECT_EQ(m.at("Messages").at("unit"), "Count");
    EXPECT_EQ(m.at("HandlerLatency").at("sum"), 3);  // 0.5 + 2.25 + 0.25, whole: an integer
    EXPECT_EQ(m.at("HandlerLatency").at("count"), 3);
    EXPECT_EQ(m.at("HandlerLatency").at("min"), 0.25);
    EXPECT_EQ(m.at("HandlerLatency").at("max"), 2.25);
    EXPECT_EQ(m.at("HandlerLatency").at("unit"), "Milliseconds");
}

// Parts of different workers merge: sums and counts add, extremes combine, and a name's unit
// is the one of its first use whichever worker recorded it.
TEST(metrics_totals, merges_the_parts_of_every_worker) {
    lift::gateway::detail::metrics_totals totals{3};
    lift::metrics a;
    a.add("Latency", 4, lift::metric_unit::milliseconds);
    a.add("OnlyA", 1);
    totals.add(2, a);
    lift::metrics b;
    b.add("Latency", 0.5, lift::metric_unit::seconds);  // a different unit, used later
    b.add("Latency", 9, lift::metric_unit::seconds);
    totals.add(0, b);
    lift::metrics c;
    totals.add(1, c);  // an invocation that recorded nothing still counts
    totals.add(5, c);  // an index past the parts wraps around
    const auto v = boost::json::parse(totals.to_json());
    EXPECT_EQ(v.at("invocations"), 4);
    const auto& m = v.at("metrics");
    EXPECT_EQ(m.at("Latency").at("sum"), 13.5);
    EXPECT_EQ(m.at("Latency").at("count"), 3);
    EXPECT_EQ(m.at("Latency").at("min"), 0.5);
    EXPECT_EQ(m.at("Latency").at("max"), 9);
    EXPECT_EQ(m.at("Latency").at("unit"), "Milliseconds");
    EXPECT_EQ(m.at("OnlyA").at("sum"), 1);
    EXPECT_EQ(m.as_object().size(), 2u);
}

// Workers add to their own parts while another thread reads the totals: every read is
// well-formed and never counts more than was added, and the final totals are exact.
TEST(metrics_totals, workers_add_while_a_reader_reads) {
    constexpr int workers = 4;
    constexpr int per_worker = 2000;
    lift::gateway::detail::metrics_totals totals{workers};
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        threads.emplace_back([&totals, w] {
            for (int i = 0; i < per_worker; ++i) {
                lift::metrics m;
                m.add("Messages", 1);
                m.add("Bytes", 2, lift::metric_unit::bytes);
                totals.add(static_cast<std::size_t>(w), m);
            }
        });
    }
    int reads = 0;
    std::thread reader{[&] {
        while (!done.load() && reads < 100000) {
            const auto v = boost::json::parse(totals.to_json());
            const auto invocations = v.at("invocations").to_number<std::int64_t>();
            EXPECT_LE(invocations, workers * per_worker);
            if (const auto* msgs = v.at("metrics").as_object().if_contains("Messages")) {
                // Each invocation adds to one part under its lock: the counts agree.
                EXPECT_LE(msgs->at("count").to_number<std::int64_t>(), invocations);
            }
            ++reads;
        }
    }};
    for (auto& t : threads) {
        t.join();
    }
    done.store(true);
    reader.join();
    EXPECT_GT(reads, 0);
    const auto v = boost::json::parse(totals.to_json());
    EXPECT_EQ(v.at("invocations"), workers * per_worker);
    EXPECT_EQ(v.at("metrics").at("Messages").at("sum"), workers * per_worker);
    EXPECT_EQ(v.at("metrics").at("Bytes").at("sum"), 2 * workers * per_worker);
    EXPECT_EQ(v.at("metrics").at("Bytes").at("unit"), "Bytes");
}

}  // namespace
