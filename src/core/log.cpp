#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include <lift/core/ascii.hpp>
#include <lift/core/ids.hpp>
#include <lift/core/log.hpp>
#include <lift/core/redact.hpp>

#include "json_escape.hpp"

namespace lift {

namespace {

using ascii::iequals;

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

// A string value with credential-shaped substrings (bearer tokens, JWTs) redacted.
void append_safe_string(std::string& line, std::string_view value) {
    if (has_credential_shape(value)) {
        detail::append_json_string(line, redact_text(value));
    } else {
        detail::append_json_string(line, value);
    }
}

bool is_standard_field(std::string_view key) noexcept {
    for (const std::string_view k : {"timestamp", "level", "message", "requestId", "connectionId",
                                     "routeKey", "traceId", "functionName", "coldStart"}) {
        if (k == key) {
            return true;
        }
    }
    return false;
}

void append_number(std::string& line, double v) {
    if (!std::isfinite(v)) {
        line += "null";
        return;
    }
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{}) {
        line += "null";
        return;
    }
    line.append(buf.data(), end);
}

void append_extra(std::string& line, const log_field& f) {
    if (f.key.empty()) {
        return;
    }
    line += ',';
    if (is_standard_field(f.key)) {
        std::string key{"extra."};
        key += f.key;
        detail::append_json_string(line, key);
    } else {
        detail::append_json_string(line, f.key);
    }
    line += ':';
    if (is_sensitive_name(f.key)) {
        detail::append_json_string(line, redacted);
        return;
    }
    switch (f.value.type()) {
        case log_value::kind::string:
            append_safe_string(line, f.value.string());
            break;
        case log_value::kind::integer:
            line += std::to_string(f.value.integer());
            break;
        case log_value::kind::number:
            append_number(line, f.value.number());
            break;
        case log_value::kind::boolean:
            line += f.value.integer() != 0 ? "true" : "false";
            break;
        case log_value::kind::json:
            line += f.value.string().empty() ? std::string_view{"null"} : f.value.string();
            break;
    }
}

}  // namespace

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
    text = ascii::trim_ows(text);
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

void log_buffer::add(std::string line) {
    const std::lock_guard lock{mutex_};
    if (max_lines_ == 0 || line.size() > max_bytes_) {
        ++dropped_;
        return;
    }
    bytes_ += line.size();
    lines_.push_back(std::move(line));
    while (lines_.size() > max_lines_ || bytes_ > max_bytes_) {
        bytes_ -= lines_.front().size();
        lines_.pop_front();
        ++dropped_;
    }
}

void log_buffer::flush_to(log_sink& sink) {
    std::deque<std::string> lines;
    std::size_t dropped = 0;
    {
        const std::lock_guard lock{mutex_};
        lines.swap(lines_);
        dropped = dropped_;
        bytes_ = 0;
        dropped_ = 0;
    }
    if (dropped > 0) {
        std::string note =
            R"({"level":"DEBUG","message":"buffered debug lines dropped","dropped":)";
        note += std::to_string(dropped);
        note += '}';
        sink.write(note);
    }
    for (const auto& line : lines) {
        sink.write(line);
    }
}

void log_buffer::clear() {
    const std::lock_guard lock{mutex_};
    lines_.clear();
    bytes_ = 0;
    dropped_ = 0;
}

std::size_t log_buffer::size() const {
    const std::lock_guard lock{mutex_};
    return lines_.size();
}

std::size_t log_buffer::dropped() const {
    const std::lock_guard lock{mutex_};
    return dropped_;
}

void logger::write(log_level level,
                   std::string_view message,
                   std::initializer_list<log_field> extra) const {
    if (!captures(level)) {
        return;
    }
    const bool to_sink = enabled(level);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::string line;
    line.reserve(160 + message.size() + fields_.request_id.size() + fields_.connection_id.size() +
                 fields_.route_key.size() + fields_.trace_id.size());
    line += R"({"timestamp":")";
    line += format_iso8601_ms(now);
    line += R"(","level":")";
    line += level_name(level);
    line += R"(","message":)";
    append_safe_string(line, message);
    append_field(line, "requestId", fields_.request_id);
    append_field(line, "connectionId", fields_.connection_id);
    append_field(line, "routeKey", fields_.route_key);
    append_field(line, "traceId", fields_.trace_id);
    append_field(line, "functionName", fields_.function_name);
    if (fields_.cold_start) {
        line += *fields_.cold_start ? R"(,"coldStart":true)" : R"(,"coldStart":false)";
    }
    for (const auto& f : extra) {
        append_extra(line, f);
    }
    line += '}';
    if (to_sink) {
        sink_->write(line);
    } else {
        buffer_->add(std::move(line));
    }
}

}  // namespace lift
