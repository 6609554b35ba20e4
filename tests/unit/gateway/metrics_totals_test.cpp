#include "metrics_totals.hpp"

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
    totals.add(a);
    lift::metrics b;
    b.add("HandlerLatency", 0.25, lift::metric_unit::milliseconds);
    totals.add(b);
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

}  // namespace
