/// @file metrics.hpp
/// Per-invocation metrics serialized as CloudWatch Embedded Metric Format (EMF): one JSON
/// document per stdout line, written once at the end of the invocation by whoever runs it (the
/// Lambda loop, the local gateway). No timers, no background threads.
///
///     ctx.metrics().add("OrdersPlaced", 1, lift::metric_unit::count);
///     ctx.metrics().add("Payload", 512, lift::metric_unit::bytes, {{"route", "order"}});
///     ctx.metrics().set_property("orderId", "o-42");
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include <lift/core/result.hpp>

namespace lift {

/// CloudWatch units (the EMF schema's list).
enum class metric_unit {
    none = 0,
    seconds,
    microseconds,
    milliseconds,
    bytes,
    kilobytes,
    megabytes,
    gigabytes,
    terabytes,
    bits,
    kilobits,
    megabits,
    gigabits,
    terabits,
    percent,
    count,
    bytes_per_second,
    kilobytes_per_second,
    megabytes_per_second,
    gigabytes_per_second,
    terabytes_per_second,
    bits_per_second,
    kilobits_per_second,
    megabits_per_second,
    gigabits_per_second,
    terabits_per_second,
    count_per_second,
};

/// The CloudWatch spelling of `u` ("Count", "Bytes/Second", "None", ...).
std::string_view to_string(metric_unit u) noexcept;

/// The unit spelled `text` (exact CloudWatch spelling), or nullopt.
std::optional<metric_unit> parse_metric_unit(std::string_view text) noexcept;

/// Storage resolution: standard (60 s, EMF's default; not written) or high (1 s; written as
/// `"StorageResolution": 1`).
enum class metric_resolution { standard = 60, high = 1 };

/// A dimension: a name and a string value (ASCII, non-blank, name not starting with ':').
/// A plain value.
struct metric_dimension {
    std::string name;   ///< dimension name (1–255 characters)
    std::string value;  ///< dimension value (1–1024 characters)
};

/// Limits from aws-reference §8 (EMF).
namespace emf_limits {
inline constexpr std::size_t max_metrics_per_document = 100;  ///< MetricDefinitions per document
inline constexpr std::size_t max_values_per_metric = 100;     ///< values of one metric per document
inline constexpr std::size_t max_dimensions_per_set = 30;     ///< names in one DimensionSet
inline constexpr std::size_t max_name_length = 255;           ///< metric/dimension name, namespace
inline constexpr std::size_t max_dimension_value_length = 1024;  ///< dimension value
}  // namespace emf_limits

/// Where metrics go and what every metric carries. A plain value; thread-compatible.
struct metrics_config {
    /// `Namespace` of every directive (1–255 characters); env `LIFT_METRICS_NAMESPACE`.
    std::string metric_namespace = "Lift";
    /// When non-empty, a `service` dimension on every metric; env `LIFT_METRICS_SERVICE`
    /// (the Lambda loop falls back to `AWS_LAMBDA_FUNCTION_NAME`).
    std::string service;
    /// Further dimensions on every metric; env `LIFT_METRICS_DIMENSIONS` ("k=v,k2=v2").
    std::vector<metric_dimension> default_dimensions;
    /// False turns recording off (`add` does nothing); env `LIFT_METRICS=off`.
    bool enabled = true;
};

/// Reads `LIFT_METRICS`, `LIFT_METRICS_NAMESPACE`, `LIFT_METRICS_SERVICE` and
/// `LIFT_METRICS_DIMENSIONS` through `get` (which returns a variable's value or nullopt) on top
/// of `base`. Fails with `errc::invalid_argument` naming the variable when a value is malformed
/// (namespace length, a dimension without '=', non-ASCII, `LIFT_METRICS` not on/off).
[[nodiscard]] result<metrics_config> metrics_config_from(
    const std::function<std::optional<std::string>(std::string_view)>& get,
    metrics_config base = {});

/// Where finished EMF documents go, one JSON document per call (no newline).
/// Implementations are thread-safe.
class metrics_sink {
public:
    virtual ~metrics_sink() = default;

    /// Writes one EMF document.
    virtual void write(std::string_view document) = 0;
};

/// Writes documents to stdout, one per line, under a mutex (what Lambda expects). Thread-safe.
class stdout_metrics_sink final : public metrics_sink {
public:
    void write(std::string_view document) override;

private:
    std::mutex mutex_;
};

/// One metric as recorded: name, unit, resolution, its own dimensions and its values.
/// A plain value.
struct metric_entry {
    std::string name;                                            ///< metric name
    metric_unit unit = metric_unit::none;                        ///< unit
    metric_resolution resolution = metric_resolution::standard;  ///< storage resolution
    std::vector<metric_dimension> dimensions;  ///< per-metric dimensions (sorted by name)
    std::vector<double> values;                ///< recorded values, in order
};

/// The metrics of one invocation. Values of the same metric name and dimensions accumulate
/// (an EMF value array). Invalid input (empty/overlong name, NaN/Inf, a unit or resolution
/// differing from the name's first use, a bad dimension) is dropped and described in
/// `problems()`; recording never fails a handler. Not thread-safe: one invocation, one thread.
/// The config must outlive the recorder. A recorder may serve one invocation after another:
/// `clear` and `flush` keep its memory, so recording the same metrics again allocates little.
class metrics {
public:
    /// A recorder with `config` (null: namespace "Lift", no default dimensions).
    explicit metrics(const metrics_config* config = nullptr) noexcept : config_(config) {}

    /// Records `value` for `name`. `dimensions` add to the default and recorder-wide ones
    /// for this value only (e.g. `{{"route", key}}`).
    void add(std::string_view name,
             double value,
             metric_unit unit = metric_unit::count,
             std::vector<metric_dimension> dimensions = {},
             metric_resolution resolution = metric_resolution::standard);

    /// Adds a dimension to every metric of this recorder (replacing one of the same name).
    void add_dimension(std::string name, std::string value);

    /// Sets a root member written in every document (not a metric; searchable in Logs
    /// Insights). Names clashing with a metric or dimension of a document are left out of it.
    void set_property(std::string name, boost::json::value value);

    /// Recorded metrics (one entry per name and per-metric dimension set).
    const std::vector<metric_entry>& entries() const noexcept { return entries_; }

    /// True when nothing was recorded.
    bool empty() const noexcept { return entries_.empty(); }

    /// Reasons for dropped input since the last `clear`.
    const std::vector<std::string>& problems() const noexcept { return problems_; }

    /// The EMF documents for everything recorded, `_aws.Timestamp` = `timestamp_ms`. Each holds
    /// at most 100 metric definitions and 100 values per metric; more values or metrics go
    /// into further documents. Empty when nothing was recorded. Deterministic order.
    std::vector<std::string> serialize(std::int64_t timestamp_ms) const;

    /// Writes `serialize(timestamp_ms)` to `sink` and clears the recorder. Returns the number
    /// of documents written.
    std::size_t flush(metrics_sink& sink, std::int64_t timestamp_ms);

    /// Drops every metric, recorder-wide dimension, property and problem (keeping the memory
    /// of a few entries for the next ones).
    void clear() noexcept;

    /// The configuration in use (null when none).
    const metrics_config* config() const noexcept { return config_; }

private:
    void problem(std::string text);

    // Calls `emit(text)` with each document `serialize` returns, built in `text`.
    template <class Emit>
    void each_document(std::int64_t timestamp_ms, std::string& text, Emit&& emit) const;

    const metrics_config* config_;
    std::vector<metric_entry> entries_;
    std::vector<metric_entry> spare_;  // cleared entries whose memory `add` reuses
    std::string text_;                 // `flush`'s document buffer, reused
    std::vector<metric_dimension> dimensions_;
    std::vector<std::pair<std::string, boost::json::value>> properties_;
    std::vector<std::string> problems_;
};

/// Outcome counts of a broadcast (`connection_api::post_many`). A plain value.
struct broadcast_counts {
    std::size_t delivered = 0;  ///< posted
    std::size_t gone = 0;       ///< `errc::gone` (410): the connection no longer exists
    std::size_t failed = 0;     ///< any other error
};

/// Counts `results` and records `BroadcastDelivered`, `BroadcastGone` and `BroadcastFailed`
/// (Count) in `m`. The context records them itself for `ctx.api()->post_many`; use this for
/// broadcasts made through another `connection_api`.
broadcast_counts record_broadcast(metrics& m, std::span<const result<void>> results);

/// Names of the metrics Lift records itself (docs/observability.md).
namespace standard_metrics {
inline constexpr std::string_view cold_start = "ColdStart";                  ///< Count
inline constexpr std::string_view connections_opened = "ConnectionsOpened";  ///< Count
inline constexpr std::string_view connections_closed = "ConnectionsClosed";  ///< Count
inline constexpr std::string_view messages = "Messages";                     ///< Count, dim `route`
inline constexpr std::string_view errors = "Errors";                   ///< Count, dim `errorType`
inline constexpr std::string_view handler_latency = "HandlerLatency";  ///< ms, dim `route`
inline constexpr std::string_view message_bytes = "MessageBytes";      ///< Bytes, dim `route`
inline constexpr std::string_view broadcast_delivered = "BroadcastDelivered";  ///< Count
inline constexpr std::string_view broadcast_gone = "BroadcastGone";            ///< Count
inline constexpr std::string_view broadcast_failed = "BroadcastFailed";        ///< Count
}  // namespace standard_metrics

}  // namespace lift
