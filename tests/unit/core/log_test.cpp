#include <cstdint>
#include <cstdlib>
#include <limits>
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

namespace {

TEST(log, trace_id_function_name_and_cold_start_fields) {
    capture_sink sink;
    lift::log_fields f{"req=", "conn=", "$default"};
    f.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    f.function_name = "chat";
    f.cold_start = true;
    const lift::logger log{sink, lift::log_level::info, f};
    log.info("m");
    f.cold_start = false;
    log.with(f).info("n");
    ASSERT_EQ(sink.lines.size(), 2u);
    const auto a = boost::json::parse(sink.lines[0]).as_object();
    EXPECT_EQ(keys_of(a), (std::vector<std::string>{"timestamp", "level", "message", "requestId",
                                                    "connectionId", "routeKey", "traceId",
                                                    "functionName", "coldStart"}));
    EXPECT_EQ(a.at("traceId"), "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
    EXPECT_EQ(a.at("functionName"), "chat");
    EXPECT_EQ(a.at("coldStart"), true);
    EXPECT_EQ(boost::json::parse(sink.lines[1]).at("coldStart"), false);
}

TEST(log, extra_fields_of_every_kind) {
    capture_sink sink;
    const lift::logger log{sink, lift::log_level::info};
    const std::string owned = "owned";
    log.info("m", {{"s", "text"},
                   {"o", owned},
                   {"i", 42},
                   {"u", std::uint64_t{7}},
                   {"neg", -3},
                   {"d", 1.5},
                   {"nan", std::numeric_limits<double>::quiet_NaN()},
                   {"b", true},
                   {"f", false},
                   {"j", lift::log_value::raw_json(R"({"x":[1,2]})")},
                   {"message", "not the message"},
                   {"", "ignored"}});
    ASSERT_EQ(sink.lines.size(), 1u);
    const auto v = boost::json::parse(sink.lines[0]).as_object();
    EXPECT_EQ(v.at("message"), "m");
    EXPECT_EQ(v.at("s"), "text");
    EXPECT_EQ(v.at("o"), "owned");
    EXPECT_EQ(v.at("i"), 42);
    EXPECT_EQ(v.at("u"), 7);
    EXPECT_EQ(v.at("neg"), -3);
    EXPECT_EQ(v.at("d"), 1.5);
    EXPECT_TRUE(v.at("nan").is_null());
    EXPECT_EQ(v.at("b"), true);
    EXPECT_EQ(v.at("f"), false);
    EXPECT_EQ(v.at("j").at("x").as_array().size(), 2u);
    EXPECT_EQ(v.at("extra.message"), "not the message");
    EXPECT_EQ(v.count(""), 0u);
}

TEST(log, sensitive_extra_fields_and_credential_shapes_are_redacted) {
    capture_sink sink;
    const lift::logger log{sink, lift::log_level::debug};
    const std::string jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    log.info("got header Authorization: Bearer abc.DEF-123_secretvalue and " + jwt + " ok",
             {{"token", "t0psecret"},
              {"Authorization", "Basic dXNlcjpwYXNz"},
              {"accessToken", "zzz-secret"},
              {"client_secret", "s3"},
              {"detail", "bearer q1w2e3r4"},
              {"route", "chat"}});
    ASSERT_EQ(sink.lines.size(), 1u);
    const auto& line = sink.lines[0];
    for (const char* secret :
         {"abc.DEF-123_secretvalue", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV", "eyJzdWIiOiJhbGljZSJ9",
          "t0psecret", "dXNlcjpwYXNz", "zzz-secret", "\"s3\"", "q1w2e3r4"}) {
        EXPECT_EQ(line.find(secret), std::string::npos) << secret << " in " << line;
    }
    const auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(v.at("message"), "got header Authorization: Bearer [REDACTED] and [REDACTED] ok");
    EXPECT_EQ(v.at("token"), "[REDACTED]");
    EXPECT_EQ(v.at("Authorization"), "[REDACTED]");
    EXPECT_EQ(v.at("accessToken"), "[REDACTED]");
    EXPECT_EQ(v.at("detail"), "bearer [REDACTED]");
    EXPECT_EQ(v.at("route"), "chat");
}

TEST(log, debug_lines_are_buffered_below_the_level_and_flushed_on_demand) {
    capture_sink sink;
    lift::log_buffer buffer;
    const lift::logger log{sink, lift::log_level::info, {"r", "", ""}, &buffer};
    EXPECT_FALSE(log.enabled(lift::log_level::debug));
    EXPECT_TRUE(log.captures(lift::log_level::debug));
    log.debug("d1", {{"k", 1}});
    log.info("i1");
    log.debug("d2");
    EXPECT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(buffer.size(), 2u);
    buffer.flush_to(sink);
    ASSERT_EQ(sink.lines.size(), 3u);
    EXPECT_EQ(boost::json::parse(sink.lines[1]).at("message"), "d1");
    EXPECT_EQ(boost::json::parse(sink.lines[1]).at("level"), "DEBUG");
    EXPECT_EQ(boost::json::parse(sink.lines[1]).at("requestId"), "r");
    EXPECT_EQ(boost::json::parse(sink.lines[2]).at("message"), "d2");
    EXPECT_EQ(buffer.size(), 0u);
    // Success path: the caller clears, nothing is written.
    log.debug("d3");
    buffer.clear();
    buffer.flush_to(sink);
    EXPECT_EQ(sink.lines.size(), 3u);
}

TEST(log, debug_level_writes_directly_and_off_buffers_nothing) {
    capture_sink sink;
    lift::log_buffer buffer;
    const lift::logger debug{sink, lift::log_level::debug, {}, &buffer};
    debug.debug("now");
    EXPECT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(buffer.size(), 0u);
    const lift::logger off{sink, lift::log_level::off, {}, &buffer};
    EXPECT_FALSE(off.captures(lift::log_level::debug));
    off.debug("never");
    EXPECT_EQ(buffer.size(), 0u);
    const lift::logger no_buffer{sink, lift::log_level::info};
    EXPECT_FALSE(no_buffer.captures(lift::log_level::debug));
    const auto with = no_buffer.with_buffer(&buffer);
    with.debug("kept");
    EXPECT_EQ(buffer.size(), 1u);
}

TEST(log, buffer_is_bounded_and_reports_dropped_lines) {
    capture_sink sink;
    lift::log_buffer buffer{3, 1 << 20};
    const lift::logger log{sink, lift::log_level::info, {}, &buffer};
    for (int i = 0; i < 10; ++i) {
        log.debug("line " + std::to_string(i));
    }
    EXPECT_EQ(buffer.size(), 3u);
    EXPECT_EQ(buffer.dropped(), 7u);
    buffer.flush_to(sink);
    ASSERT_EQ(sink.lines.size(), 4u);
    const auto note = boost::json::parse(sink.lines[0]);
    EXPECT_EQ(note.at("dropped"), 7);
    EXPECT_EQ(boost::json::parse(sink.lines[1]).at("message"), "line 7");
    EXPECT_EQ(boost::json::parse(sink.lines[3]).at("message"), "line 9");
    EXPECT_EQ(buffer.dropped(), 0u);

    lift::log_buffer small{100, 300};
    const lift::logger log2{sink, lift::log_level::info, {}, &small};
    log2.debug(std::string(400, 'x'));  // larger than the whole buffer
    EXPECT_EQ(small.size(), 0u);
    EXPECT_EQ(small.dropped(), 1u);
    log2.debug("a");
    log2.debug("b");
    log2.debug("c");
    EXPECT_LE(small.size(), 3u);
    EXPECT_GE(small.size(), 1u);
}

}  // namespace
