/// @file log.hpp
/// Structured logging: one JSON object per line (timestamp, level, message, request id,
/// connection id, route key). Level from `LIFT_LOG_LEVEL` (debug, info, warn, error).
///
///     lift::stdout_sink sink;
///     lift::logger log{sink, lift::log_level::info};
///     log.info("connected");   // {"timestamp":"…","level":"INFO","message":"connected"}
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

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

/// Per-request fields added to every line.
struct log_fields {
    std::string request_id;     ///< `requestId`
    std::string connection_id;  ///< `connectionId`
    std::string route_key;      ///< `routeKey`
};

/// A logger bound to a sink, a minimum level and per-request fields. Cheap to copy.
/// Thread-compatible; the sink must outlive it.
class logger {
public:
    /// Logs at `min` and above to `sink`.
    logger(log_sink& sink, log_level min, log_fields fields = {})
        : sink_(&sink),
          min_(min),
          fields_(std::move(fields)) {}

    /// True when a line at `level` would be written.
    bool enabled(log_level level) const noexcept {
        return level >= min_ && level != log_level::off;
    }

    /// Writes `message` at `level` (nothing when below the minimum).
    void write(log_level level, std::string_view message) const;

    void debug(std::string_view m) const { write(log_level::debug, m); }  ///< level debug

    void info(std::string_view m) const { write(log_level::info, m); }  ///< level info

    void warn(std::string_view m) const { write(log_level::warn, m); }  ///< level warn

    void error(std::string_view m) const { write(log_level::error, m); }  ///< level error

    /// A copy with other per-request fields.
    logger with(log_fields fields) const { return logger{*sink_, min_, std::move(fields)}; }

    /// The minimum level.
    log_level level() const noexcept { return min_; }

private:
    log_sink* sink_;
    log_level min_;
    log_fields fields_;
};

}  // namespace lift
