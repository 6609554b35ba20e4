#include <cstdlib>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <lift/core/log.hpp>

namespace {

class capture_sink final : public lift::log_sink {
public:
    void write(std::string_view line) override {
        const std::lock_guard lock{mutex_};
        lines.emplace_back(line);
    }

    std::vector<std::string> lines;

private:
    std::mutex mutex_;
};

std::vector<std::string> keys_of(const boost::json::object& o) {
    std::vector<std::string> keys;
    for (const auto& kv : o) {
        keys.emplace_back(kv.key());
    }
    return keys;
}

TEST(log, parse_log_level) {
    EXPECT_EQ(lift::parse_log_level("debug"), lift::log_level::debug);
    EXPECT_EQ(lift::parse_log_level("INFO"), lift::log_level::info);
    EXPECT_EQ(lift::parse_log_level("Warn"), lift::log_level::warn);
    EXPECT_EQ(lift::parse_log_level("warning"), lift::log_level::warn);
    EXPECT_EQ(lift::parse_log_level("error"), lift::log_level::error);
    EXPECT_EQ(lift::parse_log_level("off"), lift::log_level::off);
    EXPECT_EQ(lift::parse_log_level(" info "), lift::log_level::info);
    EXPECT_EQ(lift::parse_log_level(""), std::nullopt);
    EXPECT_EQ(lift::parse_log_level("verbose"), std::nullopt);
    EXPECT_EQ(lift::parse_log_level("infos"), std::nullopt);
}

TEST(log, level_from_env) {
    ::setenv("LIFT_LOG_LEVEL", "debug", 1);
    EXPECT_EQ(lift::log_level_from_env(), lift::log_level::debug);
    ::setenv("LIFT_LOG_LEVEL", "nonsense", 1);
    EXPECT_EQ(lift::log_level_from_env(lift::log_level::error), lift::log_level::error);
    ::unsetenv("LIFT_LOG_LEVEL");
    EXPECT_EQ(lift::log_level_from_env(), lift::log_level::info);
    EXPECT_EQ(lift::log_level_from_env(lift::log_level::warn), lift::log_level::warn);
}

TEST(log, writes_one_json_object_per_line) {
    capture_sink sink;
    const lift::logger log{sink, lift::log_level::debug, {"req=", "conn=", "$default"}};
    log.info("hello");
    ASSERT_EQ(sink.lines.size(), 1u);
    const auto& line = sink.lines[0];
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(keys_of(v), (std::vector<std::string>{"timestamp", "level", "message", "requestId",
                                                    "connectionId", "routeKey"}));
    EXPECT_EQ(v.at("level"), "INFO");
    EXPECT_EQ(v.at("message"), "hello");
    EXPECT_EQ(v.at("requestId"), "req=");
    EXPECT_EQ(v.at("connectionId"), "conn=");
    EXPECT_EQ(v.at("routeKey"), "$default");
    const std::string ts{v.at("timestamp").as_string()};
    EXPECT_TRUE(std::regex_match(ts, std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"}))
        << ts;
}

TEST(log, empty_fields_are_omitted) {
    capture_sink sink;
    const lift::logger log{sink, lift::log_level::info};
    log.warn("w");
    log.error("e");
    ASSERT_EQ(sink.lines.size(), 2u);
    const auto w = boost::json::parse(sink.lines[0]).as_object();
    EXPECT_EQ(keys_of(w), (std::vector<std::string>{"timestamp", "level", "message"}));
    EXPECT_EQ(w.at("level"), "WARN");
    EXPECT_EQ(boost::json::parse(sink.lines[1]).at("level"), "ERROR");
    const lift::logger partial{sink, lift::log_level::info, {"", "c=", ""}};
    partial.info("x");
    EXPECT_EQ(keys_of(boost::json::parse(sink.lines[2]).as_object()),
              (std::vector<std::string>{"timestamp", "level", "message", "connectionId"}));
}

TEST(log, messages_are_json_escaped) {
    capture_sink sink;
    const lift::logger log{sink, lift::log_level::debug, {"r\"1", "", ""}};
    const std::string nasty = std::string{"quote\" backslash\\ newline\n tab\t ctl\x01 nul"} +
                              std::string(1, '\0') + " utf8 \xC3\xA9";
    log.debug(nasty);
    ASSERT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(sink.lines[0].find('\n'), std::string::npos);
    const auto v = boost::json::parse(sink.lines[0]);
    EXPECT_EQ(v.at("message").as_string(), nasty);
    EXPECT_EQ(v.at("requestId"), "r\"1");
    EXPECT_EQ(v.at("level"), "DEBUG");
    EXPECT_NE(sink.lines[0].find("\\u0001"), std::string::npos);
}

TEST(log, levels_below_minimum_are_dropped) {
    capture_sink sink;
    const lift::logger log{sink, lift::log_level::warn};
    EXPECT_FALSE(log.enabled(lift::log_level::info));
    EXPECT_TRUE(log.enabled(lift::log_level::warn));
    EXPECT_TRUE(log.enabled(lift::log_level::error));
    log.debug("d");
    log.info("i");
    log.warn("w");
    EXPECT_EQ(sink.lines.size(), 1u);
    const lift::logger off{sink, lift::log_level::off};
    EXPECT_FALSE(off.enabled(lift::log_level::error));
    off.error("e");
    off.write(lift::log_level::off, "never");
    EXPECT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(log.level(), lift::log_level::warn);
}

TEST(log, with_replaces_fields) {
    capture_sink sink;
    const lift::logger base{sink, lift::log_level::info};
    const auto scoped = base.with({"r=", "c=", "k"});
    scoped.info("m");
    EXPECT_EQ(boost::json::parse(sink.lines.at(0)).at("routeKey"), "k");
    EXPECT_EQ(scoped.level(), lift::log_level::info);
}

TEST(log, stdout_sink_writes_lines) {
    lift::stdout_sink sink;
    testing::internal::CaptureStdout();
    sink.write("{\"a\":1}");
    sink.write("second");
    const auto out = testing::internal::GetCapturedStdout();
    EXPECT_EQ(out, "{\"a\":1}\nsecond\n");
}

}  // namespace
