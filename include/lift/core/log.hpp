/// @file log.hpp
/// Structured logging: one JSON object per line (timestamp, level, message, request id,
/// connection id, route key, trace id, cold start, function name, optional extra fields).
/// Level from `LIFT_LOG_LEVEL` (debug, info, warn, error, off). Debug lines below the level can
/// be kept in a per-invocation `log_buffer` and written only when the invocation fails.
///
///     lift::stdout_sink sink;
///     lift::logger log{sink, lift::log_level::info};
///     log.info("connected", {{"room", "lobby"}, {"members", 3}});
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace lift {

/// Severity, lowest first.
enum class log_level { debug = 1, info = 2, warn = 3, error = 4, off = 5 };

/// Parses "debug", "info", "warn"/"warning", "error", "off" (any case); nullopt otherwise.
std::optional<log_level> parse_log_level(std::string_view text) noexcept;

/// Level from the environment variable `LIFT_LOG_LEVEL`, else `fallback`.
log_level log_level_from_env(log_level fallback = log_level::info);

/// Where finished log lines go. Implementations are thread-safe.
class log_sink {
public:
    virtual ~log_sink() = default;

    /// Writes one line (without the trailing newline).
    virtual void write(std::string_view line) = 0;
};

/// Writes lines to stdout, each followed by a newline, under a mutex. Thread-safe.
class stdout_sink final : public log_sink {
public:
    void write(std::string_view line) override;

private:
    std::mutex mutex_;
};

/// Per-request fields added to every line (empty strings and an unset `cold_start` are left
/// out of the line).
struct log_fields {
    std::string request_id;            ///< `requestId`
    std::string connection_id;         ///< `connectionId`
    std::string route_key;             ///< `routeKey`
    std::string trace_id = {};         ///< `traceId` (`Lambda-Runtime-Trace-Id`)
    std::string function_name = {};    ///< `functionName` (`AWS_LAMBDA_FUNCTION_NAME`)
    std::optional<bool> cold_start{};  ///< `coldStart`: first invocation of this instance
};

/// The value of one extra field on a log line: a string, an integer, a floating-point number or
/// a boolean. Holds a view for strings: valid only during the logging call. Thread-compatible.
class log_value {
public:
    /// Kinds of value.
    enum class kind { string, integer, number, boolean, json };

    /// A string value.
    log_value(std::string_view s) noexcept : kind_(kind::string), s_(s) {}

    /// A string value (C string; must not be null).
    log_value(const char* s) noexcept : kind_(kind::string), s_(s) {}

    /// A string value.
    log_value(const std::string& s) noexcept : kind_(kind::string), s_(s) {}

    /// A boolean value.
    log_value(bool b) noexcept : kind_(kind::boolean), i_(b ? 1 : 0) {}

    /// An integer value.
    template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) log_value(T v)
    noexcept : kind_(kind::integer), i_(static_cast<std::int64_t>(v)) {}

    /// A floating-point value (NaN and infinities are written as null).
    template <class T>
    requires std::is_floating_point_v<T> log_value(T v)
    noexcept : kind_(kind::number), d_(static_cast<double>(v)) {}

    /// A raw JSON value (object, array, ...) written as is. Precondition: `text` is one valid
    /// JSON value (e.g. the output of `boost::json::serialize`); it is not redacted.
    static log_value raw_json(std::string_view text) noexcept {
        log_value v{text};
        v.kind_ = kind::json;
        return v;
    }

    /// Which alternative is held.
    kind type() const noexcept { return kind_; }

    /// The string (kind::string) or JSON text (kind::json).
    std::string_view string() const noexcept { return s_; }

    /// The integer or boolean (kind::integer, kind::boolean).
    std::int64_t integer() const noexcept { return i_; }

    /// The number (kind::number).
    double number() const noexcept { return d_; }

private:
    kind kind_;
    std::string_view s_{};
    std::int64_t i_ = 0;
    double d_ = 0;
};

/// One extra field of a log line. `key` is written as given unless it is one of the standard
/// field names (then it is prefixed with `extra.`). A sensitive key (see `is_sensitive_name` in
/// redact.hpp: `authorization`, `token`, `cookie`, ...) has its value replaced by "[REDACTED]".
struct log_field {
    std::string_view key;  ///< JSON member name
    log_value value;       ///< value
};

/// Debug lines of one invocation held back while the level is above debug, written only when
/// the invocation fails (`flush_to`) and dropped otherwise (`clear`). Holds at most `max_lines`
/// lines and `max_bytes` bytes; older lines are dropped first and counted in `dropped()`.
/// Thread-safe (a handler may log from helper threads).
class log_buffer {
public:
    /// A buffer with the given bounds (defaults: 100 lines, 64 KiB).
    explicit log_buffer(std::size_t max_lines = 100, std::size_t max_bytes = 64 * 1024)
        : max_lines_(max_lines),
          max_bytes_(max_bytes) {}

    /// Keeps `line` (dropping the oldest lines when over a bound).
    void add(std::string line);

    /// Writes the kept lines to `sink` in order, preceded by a note line when some were dropped,
    /// and empties the buffer.
    void flush_to(log_sink& sink);

    /// Drops every kept line.
    void clear();

    /// Lines kept now.
    std::size_t size() const;

    /// Lines dropped because of the bounds since the last `flush_to`/`clear`.
    std::size_t dropped() const;

private:
    mutable std::mutex mutex_;
    std::deque<std::string> lines_;
    std::size_t bytes_ = 0;
    std::size_t dropped_ = 0;
    std::size_t max_lines_;
    std::size_t max_bytes_;
};

/// A logger bound to a sink, a minimum level and per-request fields. Cheap to copy.
/// Thread-compatible; the sink (and the buffer, when set) must outlive it.
class logger {
public:
    /// Logs at `min` and above to `sink`. With a `buffer`, debug lines below `min` go to it.
    logger(log_sink& sink, log_level min, log_fields fields = {}, log_buffer* buffer = nullptr)
        : sink_(&sink),
          buffer_(buffer),
          min_(min),
          fields_(std::move(fields)) {}

    /// True when a line at `level` would be written now.
    bool enabled(log_level level) const noexcept {
        return level >= min_ && level != log_level::off;
    }

    /// True when a line at `level` would be written or buffered (use it to skip building
    /// expensive fields).
    bool captures(log_level level) const noexcept {
        return enabled(level) ||
               (level == log_level::debug && buffer_ != nullptr && min_ != log_level::off);
    }

    /// Writes `message` with `extra` fields at `level`: to the sink when enabled, to the
    /// buffer when it is a debug line below the level and a buffer is set, else nowhere.
    void write(log_level level,
               std::string_view message,
               std::initializer_list<log_field> extra = {}) const;

    /// level debug
    void debug(std::string_view m, std::initializer_list<log_field> extra = {}) const {
        write(log_level::debug, m, extra);
    }

    /// level info
    void info(std::string_view m, std::initializer_list<log_field> extra = {}) const {
        write(log_level::info, m, extra);
    }

    /// level warn
    void warn(std::string_view m, std::initializer_list<log_field> extra = {}) const {
        write(log_level::warn, m, extra);
    }

    /// level error
    void error(std::string_view m, std::initializer_list<log_field> extra = {}) const {
        write(log_level::error, m, extra);
    }

    /// A copy with other per-request fields (same sink, level and buffer).
    logger with(log_fields fields) const {
        return logger{*sink_, min_, std::move(fields), buffer_};
    }

    /// A copy that buffers debug lines in `buffer` (null: none).
    logger with_buffer(log_buffer* buffer) const { return logger{*sink_, min_, fields_, buffer}; }

    /// The per-request fields.
    const log_fields& fields() const noexcept { return fields_; }

    /// The minimum level.
    log_level level() const noexcept { return min_; }

private:
    log_sink* sink_;
    log_buffer* buffer_;
    log_level min_;
    log_fields fields_;
};

}  // namespace lift
