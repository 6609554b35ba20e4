#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/metrics.hpp>

namespace {

namespace json = boost::json;

class capture final : public lift::metrics_sink {
public:
    void write(std::string_view d) override { docs.emplace_back(d); }

    std::vector<std::string> docs;
};

constexpr std::int64_t ts = 1'700'000'000'123;

// Checks one document against aws-reference §8 and returns it parsed.
json::object check_emf(const std::string& text) {
    EXPECT_EQ(text.find('\n'), std::string::npos);
    const auto v = json::parse(text);
    const auto& o = v.as_object();
    const auto& aws = o.at("_aws").as_object();
    EXPECT_TRUE(aws.at("Timestamp").is_int64() || aws.at("Timestamp").is_uint64());
    const auto& directives = aws.at("CloudWatchMetrics").as_array();
    EXPECT_GE(directives.size(), 1u);
    std::size_t metric_count = 0;
    std::set<std::string> names;
    for (const auto& dv : directives) {
        const auto& d = dv.as_object();
        const auto& ns = d.at("Namespace").as_string();
        EXPECT_GE(ns.size(), 1u);
        EXPECT_LE(ns.size(), 255u);
        const auto& dims = d.at("Dimensions").as_array();
        EXPECT_GE(dims.size(), 1u);
        for (const auto& set : dims) {
            EXPECT_LE(set.as_array().size(), 30u);
            for (const auto& name : set.as_array()) {
                const auto& target = o.at(name.as_string());
                EXPECT_TRUE(target.is_string()) << name;
            }
        }
        for (const auto& mv : d.at("Metrics").as_array()) {
            const auto& m = mv.as_object();
            ++metric_count;
            const std::string name{m.at("Name").as_string()};
            EXPECT_TRUE(names.insert(name).second) << "metric twice in one document: " << name;
            EXPECT_TRUE(lift::parse_metric_unit(std::string{m.at("Unit").as_string()}))
                << m.at("Unit");
            if (const auto* sr = m.if_contains("StorageResolution")) {
                EXPECT_EQ(*sr, 1);
            }
            const auto& value = o.at(name);
            if (value.is_array()) {
                EXPECT_GE(value.as_array().size(), 1u);
                EXPECT_LE(value.as_array().size(), 100u);
                for (const auto& x : value.as_array()) {
                    EXPECT_TRUE(x.is_number());
                    EXPECT_TRUE(std::isfinite(x.to_number<double>()));
                }
            } else {
                EXPECT_TRUE(value.is_number()) << name;
            }
        }
    }
    EXPECT_LE(metric_count, 100u);
    return o;
}

std::vector<json::object> check_all(const std::vector<std::string>& docs) {
    std::vector<json::object> out;
    for (const auto& d : docs) {
        out.push_back(check_emf(d));
    }
    return out;
}

TEST(metrics, units_round_trip) {
    EXPECT_EQ(lift::to_string(lift::metric_unit::count), "Count");
    EXPECT_EQ(lift::to_string(lift::metric_unit::milliseconds), "Milliseconds");
    EXPECT_EQ(lift::to_string(lift::metric_unit::bytes_per_second), "Bytes/Second");
    EXPECT_EQ(lift::to_string(lift::metric_unit::count_per_second), "Count/Second");
    EXPECT_EQ(lift::to_string(lift::metric_unit::none), "None");
    for (int i = 0; i <= static_cast<int>(lift::metric_unit::count_per_second); ++i) {
        const auto u = static_cast<lift::metric_unit>(i);
        EXPECT_EQ(lift::parse_metric_unit(lift::to_string(u)), u);
    }
    EXPECT_EQ(lift::parse_metric_unit("count"), std::nullopt);
    EXPECT_EQ(lift::parse_metric_unit("Hours"), std::nullopt);
}

TEST(metrics, empty_recorder_writes_nothing) {
    lift::metrics m;
    capture sink;
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.flush(sink, ts), 0u);
    EXPECT_TRUE(sink.docs.empty());
}

TEST(metrics, one_document_shape_matches_the_reference) {
    lift::metrics_config cfg;
    cfg.metric_namespace = "my-ns";
    cfg.service = "chat";
    lift::metrics m{&cfg};
    m.add("time", 100, lift::metric_unit::milliseconds);
    m.add("hits", 1, lift::metric_unit::count, {}, lift::metric_resolution::high);
    m.add("hits", 1, lift::metric_unit::count, {}, lift::metric_resolution::high);
    m.add("hits", 2.5, lift::metric_unit::count, {}, lift::metric_resolution::high);
    m.set_property("requestId", "r-1");
    const auto docs = m.serialize(ts);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0],
              R"({"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"my-ns",)"
              R"("Dimensions":[["service"]],"Metrics":[{"Name":"time","Unit":"Milliseconds"},)"
              R"({"Name":"hits","Unit":"Count","StorageResolution":1}]}]},"service":"chat",)"
              R"("time":100,"hits":[1,1,2.5],"requestId":"r-1"})");
    check_emf(docs[0]);
}

TEST(metrics, defaults_without_config) {
    lift::metrics m;
    m.add("x", 3);
    const auto docs = m.serialize(ts);
    ASSERT_EQ(docs.size(), 1u);
    const auto o = check_emf(docs[0]);
    const auto& d = o.at("_aws").at("CloudWatchMetrics").as_array()[0];
    EXPECT_EQ(d.at("Namespace"), "Lift");
    EXPECT_EQ(d.at("Dimensions"), json::parse("[[]]"));
    EXPECT_EQ(d.at("Metrics").as_array()[0].at("Unit"), "Count");
    EXPECT_EQ(d.at("Metrics").as_array()[0].as_object().count("StorageResolution"), 0u);
    EXPECT_EQ(o.at("x"), 3);
}

TEST(metrics, per_metric_dimensions_share_a_document_when_compatible) {
    lift::metrics_config cfg;
    cfg.service = "svc";
    cfg.default_dimensions = {{"stage", "dev"}};
    lift::metrics m{&cfg};
    m.add("ConnectionsOpened", 1);
    m.add("Messages", 1, lift::metric_unit::count, {{"route", "chat"}});
    m.add("MessageBytes", 12, lift::metric_unit::bytes, {{"route", "chat"}});
    m.add("Errors", 1, lift::metric_unit::count, {{"errorType", "Exception"}});
    const auto docs = m.serialize(ts);
    ASSERT_EQ(docs.size(), 1u);
    const auto o = check_emf(docs[0]);
    const auto& ds = o.at("_aws").at("CloudWatchMetrics").as_array();
    ASSERT_EQ(ds.size(), 3u);
    EXPECT_EQ(ds[0].at("Dimensions"), json::parse(R"([["service","stage"]])"));
    EXPECT_EQ(ds[1].at("Dimensions"), json::parse(R"([["route","service","stage"]])"));
    EXPECT_EQ(ds[1].at("Metrics").as_array().size(), 2u);
    EXPECT_EQ(ds[2].at("Dimensions"), json::parse(R"([["errorType","service","stage"]])"));
    EXPECT_EQ(o.at("route"), "chat");
    EXPECT_EQ(o.at("errorType"), "Exception");
    EXPECT_EQ(o.at("stage"), "dev");
}

TEST(metrics, conflicting_dimension_values_and_repeated_names_split_documents) {
    lift::metrics m;
    m.add("Messages", 1, lift::metric_unit::count, {{"route", "a"}});
    m.add("Messages", 1, lift::metric_unit::count, {{"route", "a"}});
    m.add("Messages", 1, lift::metric_unit::count, {{"route", "b"}});
    m.add("Other", 5, lift::metric_unit::count, {{"route", "b"}});
    m.add("Messages", 7);  // same name without dimensions: needs its own document
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].at("route"), "a");
    EXPECT_EQ(docs[0].at("Messages"), json::parse("[1,1]"));
    EXPECT_EQ(docs[1].at("route"), "b");
    EXPECT_EQ(docs[1].at("Messages"), 1);
    EXPECT_EQ(docs[1].at("Other"), 5);
    EXPECT_EQ(docs[2].count("route"), 0u);
    EXPECT_EQ(docs[2].at("Messages"), 7);
}

TEST(metrics, more_than_100_metrics_split_into_documents) {
    lift::metrics m;
    for (int i = 0; i < 250; ++i) {
        m.add("m" + std::to_string(i), i);
    }
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 3u);
    std::size_t total = 0;
    std::set<std::string> seen;
    for (const auto& d : docs) {
        const auto& ms =
            d.at("_aws").at("CloudWatchMetrics").as_array()[0].at("Metrics").as_array();
        total += ms.size();
        for (const auto& x : ms) {
            seen.insert(std::string{x.at("Name").as_string()});
        }
    }
    EXPECT_EQ(total, 250u);
    EXPECT_EQ(seen.size(), 250u);
    EXPECT_EQ(
        docs[0].at("_aws").at("CloudWatchMetrics").as_array()[0].at("Metrics").as_array().size(),
        100u);
    EXPECT_EQ(docs[2].at("m249"), 249);
}

TEST(metrics, more_than_100_values_split_into_documents_in_order) {
    lift::metrics m;
    for (int i = 0; i < 201; ++i) {
        m.add("latency", i, lift::metric_unit::milliseconds);
    }
    m.add("single", 1);
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].at("latency").as_array().size(), 100u);
    EXPECT_EQ(docs[1].at("latency").as_array().size(), 100u);
    EXPECT_EQ(docs[2].at("latency"), 200);  // a single value is written as a number
    EXPECT_EQ(docs[0].at("latency").as_array()[0], 0);
    EXPECT_EQ(docs[1].at("latency").as_array()[0], 100);
    EXPECT_EQ(docs[0].at("single"), 1);
    EXPECT_EQ(docs[1].count("single"), 0u);
    std::vector<double> all;
    for (const auto& d : docs) {
        const auto& v = d.at("latency");
        if (v.is_array()) {
            for (const auto& x : v.as_array()) {
                all.push_back(x.to_number<double>());
            }
        } else {
            all.push_back(v.to_number<double>());
        }
    }
    ASSERT_EQ(all.size(), 201u);
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i], static_cast<double>(i));
    }
}

TEST(metrics, many_metrics_with_many_values) {
    lift::metrics m;
    for (int k = 0; k < 150; ++k) {
        for (int i = 0; i < 120; ++i) {
            m.add("k" + std::to_string(k), i);
        }
    }
    const auto docs = check_all(m.serialize(ts));
    // 150 metrics x 2 value rounds -> (100 + 50) per round -> 4 documents at most 100 metrics.
    std::size_t values = 0;
    for (const auto& d : docs) {
        for (const auto& [k, v] : d) {
            if (k != "_aws") {
                values += v.is_array() ? v.as_array().size() : 1;
            }
        }
    }
    EXPECT_EQ(values, 150u * 120u);
    EXPECT_GE(docs.size(), 3u);
}

TEST(metrics, invalid_input_is_dropped_with_a_reason) {
    lift::metrics m;
    m.add("", 1);
    m.add(std::string(256, 'x'), 1);
    m.add("nan", std::numeric_limits<double>::quiet_NaN());
    m.add("inf", std::numeric_limits<double>::infinity());
    m.add("ninf", -std::numeric_limits<double>::infinity());
    m.add("_aws", 1);
    m.add("u", 1, lift::metric_unit::count);
    m.add("u", 1, lift::metric_unit::bytes);  // unit differs from first use
    m.add("r", 1, lift::metric_unit::count, {}, lift::metric_resolution::high);
    m.add("r", 1, lift::metric_unit::count, {}, lift::metric_resolution::standard);
    m.add("d", 1, lift::metric_unit::count, {{"", "v"}});
    m.add("d", 1, lift::metric_unit::count, {{":bad", "v"}});
    m.add("d", 1, lift::metric_unit::count, {{"route", ""}});
    m.add("d", 1, lift::metric_unit::count, {{"route", "caf\xC3\xA9"}});
    m.add("route", 1, lift::metric_unit::count, {{"route", "x"}});  // name of its dimension
    m.add("bad_unit", 1, static_cast<lift::metric_unit>(99));
    EXPECT_EQ(m.problems().size(), 14u);
    ASSERT_EQ(m.entries().size(), 2u);
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].at("u"), 1);
    EXPECT_EQ(docs[0].at("r"), 1);
    for (const auto& p : m.problems()) {
        EXPECT_FALSE(p.empty());
    }
}

TEST(metrics, too_many_dimensions_are_refused) {
    lift::metrics m;
    std::vector<lift::metric_dimension> dims;
    for (int i = 0; i < 31; ++i) {
        dims.push_back({"d" + std::to_string(i), "v"});
    }
    m.add("x", 1, lift::metric_unit::count, dims);
    EXPECT_TRUE(m.empty());
    dims.pop_back();
    m.add("x", 1, lift::metric_unit::count, dims);
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 1u);
}

TEST(metrics, recorder_dimensions_and_properties) {
    lift::metrics m;
    m.add_dimension("tenant", "acme");
    m.add_dimension("tenant", "globex");  // replaces
    m.add("x", 1);
    m.add_dimension("x", "clash");  // metric of that name exists: refused
    m.set_property("requestId", "r");
    m.set_property("requestId", "r2");
    m.set_property("nested", json::parse(R"({"a":[1,2]})"));
    m.set_property("tenant", "shadow");  // a dimension of the document: left out
    m.set_property("x", "shadow");       // a metric of the document: left out
    m.set_property("_aws", 1);           // refused
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].at("tenant"), "globex");
    EXPECT_EQ(docs[0].at("x"), 1);
    EXPECT_EQ(docs[0].at("requestId"), "r2");
    EXPECT_EQ(docs[0].at("nested").at("a").as_array().size(), 2u);
    EXPECT_EQ(m.problems().size(), 2u);
}

TEST(metrics, flush_writes_each_document_and_clears) {
    lift::metrics m;
    for (int i = 0; i < 101; ++i) {
        m.add("m" + std::to_string(i), 1);
    }
    m.set_property("p", 1);
    capture sink;
    EXPECT_EQ(m.flush(sink, ts), 2u);
    EXPECT_EQ(sink.docs.size(), 2u);
    EXPECT_TRUE(m.empty());
    check_all(sink.docs);
    EXPECT_EQ(json::parse(sink.docs[1]).at("p"), 1);
    m.add("again", 1);
    EXPECT_EQ(m.flush(sink, ts), 1u);
    EXPECT_EQ(json::parse(sink.docs[2]).as_object().count("p"), 0u);
}

// A recorder serving one invocation after another (the Lambda loop, gateway workers) keeps the
// memory of cleared entries: what it writes must not depend on what it recorded before.
TEST(metrics, a_reused_recorder_writes_what_a_fresh_one_writes) {
    lift::metrics_config cfg;
    cfg.service = "svc";
    const auto record_second = [](lift::metrics& m) {
        m.add("Messages", 1, lift::metric_unit::count, {{"route", "b"}});
        m.add("Latency", 0.25, lift::metric_unit::milliseconds, {{"route", "b"}});
        m.add("Latency", 4, lift::metric_unit::milliseconds, {{"route", "b"}});
        m.add("Solo", 2, lift::metric_unit::bytes);
        m.set_property("requestId", "r-2");
    };
    lift::metrics reused{&cfg};
    // A first invocation with more entries, longer names, more values and other dimensions.
    for (int i = 0; i < 150; ++i) {
        reused.add("Latency", i, lift::metric_unit::seconds, {{"route", "a"}, {"x", "y"}});
    }
    for (int i = 0; i < 12; ++i) {
        reused.add("AVeryLongMetricNameThatDoesNotFitInline" + std::to_string(i), i);
    }
    reused.add_dimension("tenant", "t1");
    reused.set_property("requestId", "r-1");
    reused.add("Bad", std::nan(""));
    capture sink;
    EXPECT_GT(reused.flush(sink, ts), 1u);
    EXPECT_TRUE(reused.problems().empty());
    record_second(reused);
    lift::metrics fresh{&cfg};
    record_second(fresh);
    EXPECT_EQ(reused.serialize(ts), fresh.serialize(ts));
    ASSERT_EQ(reused.entries().size(), fresh.entries().size());
    for (std::size_t i = 0; i < fresh.entries().size(); ++i) {
        const auto& a = reused.entries()[i];
        const auto& b = fresh.entries()[i];
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.unit, b.unit);
        EXPECT_EQ(a.values, b.values);
        ASSERT_EQ(a.dimensions.size(), b.dimensions.size());
        for (std::size_t k = 0; k < a.dimensions.size(); ++k) {
            EXPECT_EQ(a.dimensions[k].name, b.dimensions[k].name);
            EXPECT_EQ(a.dimensions[k].value, b.dimensions[k].value);
        }
    }
    // Flushing the reused recorder writes the same bytes as serialising the fresh one.
    capture again;
    reused.flush(again, ts);
    EXPECT_EQ(again.docs, fresh.serialize(ts));
    EXPECT_TRUE(reused.empty());
}

TEST(metrics, disabled_config_records_nothing) {
    lift::metrics_config cfg;
    cfg.enabled = false;
    lift::metrics m{&cfg};
    m.add("x", 1);
    EXPECT_TRUE(m.empty());
}

TEST(metrics, numbers_are_plain_json) {
    lift::metrics m;
    m.add("a", 0.1);
    m.add("b", 1e21);
    m.add("c", -2);
    m.add("d", 123456789012.0);
    const auto docs = m.serialize(ts);
    ASSERT_EQ(docs.size(), 1u);
    const auto o = check_emf(docs[0]);
    EXPECT_EQ(o.at("a").to_number<double>(), 0.1);
    EXPECT_EQ(o.at("b").to_number<double>(), 1e21);
    EXPECT_EQ(o.at("c").to_number<double>(), -2);
    EXPECT_NE(docs[0].find(R"("d":123456789012)"), std::string::npos) << docs[0];
}

std::function<std::optional<std::string>(std::string_view)> env_of(
    std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string{name});
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

TEST(metrics, config_from_environment) {
    auto c = lift::metrics_config_from(env_of({}));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->metric_namespace, "Lift");
    EXPECT_TRUE(c->service.empty());
    EXPECT_TRUE(c->enabled);
    c = lift::metrics_config_from(env_of({{"LIFT_METRICS_NAMESPACE", "Chat"},
                                          {"LIFT_METRICS_SERVICE", "chat-api"},
                                          {"LIFT_METRICS_DIMENSIONS", "stage=prod,,region=eu"},
                                          {"LIFT_METRICS", "on"}}));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->metric_namespace, "Chat");
    EXPECT_EQ(c->service, "chat-api");
    ASSERT_EQ(c->default_dimensions.size(), 2u);
    EXPECT_EQ(c->default_dimensions[1].name, "region");
    EXPECT_EQ(c->default_dimensions[1].value, "eu");
    c = lift::metrics_config_from(env_of({{"LIFT_METRICS", "off"}}));
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->enabled);
    for (const auto& [k, v] :
         std::map<std::string, std::string>{{"LIFT_METRICS", "maybe"},
                                            {"LIFT_METRICS_NAMESPACE", std::string(256, 'n')},
                                            {"LIFT_METRICS_DIMENSIONS", "novalue"},
                                            {"LIFT_METRICS_SERVICE", " "}}) {
        auto bad = lift::metrics_config_from(env_of({{k, v}}));
        ASSERT_FALSE(bad) << k;
        EXPECT_EQ(bad.error().code, lift::errc::invalid_argument);
        EXPECT_NE(bad.error().message.find(k), std::string::npos) << bad.error().message;
    }
}

TEST(metrics, record_broadcast_counts_outcomes) {
    lift::metrics m;
    std::vector<lift::result<void>> results;
    results.emplace_back();
    results.emplace_back();
    results.emplace_back(lift::fail(lift::errc::gone, "gone"));
    results.emplace_back(lift::fail(lift::errc::unavailable, "down"));
    const auto c = lift::record_broadcast(m, results);
    EXPECT_EQ(c.delivered, 2u);
    EXPECT_EQ(c.gone, 1u);
    EXPECT_EQ(c.failed, 1u);
    const auto docs = check_all(m.serialize(ts));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].at("BroadcastDelivered"), 2);
    EXPECT_EQ(docs[0].at("BroadcastGone"), 1);
    EXPECT_EQ(docs[0].at("BroadcastFailed"), 1);
}

}  // namespace
