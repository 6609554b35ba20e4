#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <lift/core/ascii.hpp>
#include <lift/core/ids.hpp>
#include <lift/core/log.hpp>

#include "json_escape.hpp"

namespace lift {

namespace {

using ascii::iequals;

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view level_name(log_level level) noexcept {
    switch (level) {
        case log_level::debug:
            return "DEBUG";
        case log_level::info:
            return "INFO";
        case log_level::warn:
            return "WARN";
        case log_level::error:
            return "ERROR";
        case log_level::off:
            break;
    }
    return "OFF";
}

void append_field(std::string& line, const char* name, std::string_view value) {
    if (value.empty()) {
        return;
    }
    line += ",\"";
    line.append(name);
    line += "\":";
    detail::append_json_string(line, value);
}

}  // namespace

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
    text = trim(text);
    if (iequals(text, "debug")) {
        return log_level::debug;
    }
    if (iequals(text, "info")) {
        return log_level::info;
    }
    if (iequals(text, "warn") || iequals(text, "warning")) {
        return log_level::warn;
    }
    if (iequals(text, "error")) {
        return log_level::error;
    }
    if (iequals(text, "off")) {
        return log_level::off;
    }
    return std::nullopt;
}

log_level log_level_from_env(log_level fallback) {
    const char* env = std::getenv("LIFT_LOG_LEVEL");
    if (env == nullptr) {
        return fallback;
    }
    return parse_log_level(env).value_or(fallback);
}

void stdout_sink::write(std::string_view line) {
    const std::lock_guard lock{mutex_};
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void logger::write(log_level level, std::string_view message) const {
    if (!enabled(level)) {
        return;
    }
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::string line;
    line.reserve(96 + message.size() + fields_.request_id.size() + fields_.connection_id.size() +
                 fields_.route_key.size());
    line += R"({"timestamp":")";
    line += format_iso8601_ms(now);
    line += R"(","level":")";
    line += level_name(level);
    line += R"(","message":)";
    detail::append_json_string(line, message);
    append_field(line, "requestId", fields_.request_id);
    append_field(line, "connectionId", fields_.connection_id);
    append_field(line, "routeKey", fields_.route_key);
    line += '}';
    sink_->write(line);
}

}  // namespace lift
