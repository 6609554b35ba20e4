#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

#include <boost/json/serialize.hpp>

#include <lift/core/ascii.hpp>
#include <lift/core/metrics.hpp>

#include "json_escape.hpp"

namespace lift {

namespace {

constexpr std::array<std::string_view, 27> unit_names{"None",
                                                      "Seconds",
                                                      "Microseconds",
                                                      "Milliseconds",
                                                      "Bytes",
                                                      "Kilobytes",
                                                      "Megabytes",
                                                      "Gigabytes",
                                                      "Terabytes",
                                                      "Bits",
                                                      "Kilobits",
                                                      "Megabits",
                                                      "Gigabits",
                                                      "Terabits",
                                                      "Percent",
                                                      "Count",
                                                      "Bytes/Second",
                                                      "Kilobytes/Second",
                                                      "Megabytes/Second",
                                                      "Gigabytes/Second",
                                                      "Terabytes/Second",
                                                      "Bits/Second",
                                                      "Kilobits/Second",
                                                      "Megabits/Second",
                                                      "Gigabits/Second",
                                                      "Terabits/Second",
                                                      "Count/Second"};

// Bound on values kept per recorder, so a runaway loop cannot exhaust memory.
constexpr std::size_t max_values_per_recorder = 100'000;

using dims_t = std::vector<std::pair<std::string, std::string>>;

bool is_printable_ascii(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool is_blank(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// Why a dimension is invalid, or empty.
std::string check_dimension(const metric_dimension& d) {
    if (d.name.empty() || d.name.size() > emf_limits::max_name_length || is_blank(d.name) ||
        !is_printable_ascii(d.name) || d.name.front() == ':') {
        return "dimension name '" + d.name +
               "' must be 1-255 printable ASCII characters, not blank, not starting with ':'";
    }
    if (d.name == "_aws") {
        return "dimension name '_aws' is reserved";
    }
    if (d.value.empty() || d.value.size() > emf_limits::max_dimension_value_length ||
        is_blank(d.value) || !is_printable_ascii(d.value)) {
        return "dimension '" + d.name +
               "': value must be 1-1024 printable ASCII characters, not blank";
    }
    return {};
}

void set_dim(dims_t& dims, const std::string& name, const std::string& value) {
    for (auto& [n, v] : dims) {
        if (n == name) {
            v = value;
            return;
        }
    }
    dims.emplace_back(name, value);
}

void append_number(std::string& out, double v) {
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec != std::errc{}) {
        out += '0';  // unreachable for finite doubles: 32 bytes hold any shortest form
        return;
    }
    out.append(buf.data(), end);
}

// One metric's slice of values inside one document.
struct slice {
    const metric_entry* entry;
    std::size_t begin;
    std::size_t end;
};

// A directive: one dimension set and up to 100 metric slices.
struct directive {
    const dims_t* dims;
    std::vector<slice> metrics;
};

struct document {
    std::vector<directive> directives;
    std::size_t metric_count = 0;
};

bool has_name(const document& doc, std::string_view name) {
    for (const auto& d : doc.directives) {
        for (const auto& s : d.metrics) {
            if (s.entry->name == name) {
                return true;
            }
        }
        for (const auto& [n, v] : *d.dims) {
            if (n == name) {
                return true;
            }
        }
    }
    return false;
}

// True when `part` can join `doc`: room for its metrics, no metric name twice, dimension
// values that agree, and no metric name equal to a dimension name.
bool fits(const document& doc, const directive& part) {
    if (doc.metric_count + part.metrics.size() > emf_limits::max_metrics_per_document) {
        return false;
    }
    for (const auto& s : part.metrics) {
        if (has_name(doc, s.entry->name)) {
            return false;
        }
    }
    for (const auto& d : doc.directives) {
        for (const auto& [name, value] : *part.dims) {
            for (const auto& [n, v] : *d.dims) {
                if (n == name && v != value) {
                    return false;
                }
            }
            for (const auto& s : d.metrics) {
                if (s.entry->name == name) {
                    return false;
                }
            }
        }
    }
    return true;
}

}  // namespace

std::string_view to_string(metric_unit u) noexcept {
    const auto i = static_cast<std::size_t>(u);
    return i < unit_names.size() ? unit_names[i] : std::string_view{"None"};
}

std::optional<metric_unit> parse_metric_unit(std::string_view text) noexcept {
    for (std::size_t i = 0; i < unit_names.size(); ++i) {
        if (unit_names[i] == text) {
            return static_cast<metric_unit>(i);
        }
    }
    return std::nullopt;
}

result<metrics_config> metrics_config_from(
    const std::function<std::optional<std::string>(std::string_view)>& get, metrics_config base) {
    if (auto v = get("LIFT_METRICS"); v && !v->empty()) {
        if (ascii::iequals(*v, "off") || ascii::iequals(*v, "false") || *v == "0") {
            base.enabled = false;
        } else if (ascii::iequals(*v, "on") || ascii::iequals(*v, "true") || *v == "1") {
            base.enabled = true;
        } else {
            return fail(errc::invalid_argument, "LIFT_METRICS='" + *v + "' is not on or off");
        }
    }
    if (auto v = get("LIFT_METRICS_NAMESPACE"); v && !v->empty()) {
        if (v->size() > emf_limits::max_name_length || !is_printable_ascii(*v) || is_blank(*v)) {
            return fail(errc::invalid_argument,
                        "LIFT_METRICS_NAMESPACE must be 1-255 printable ASCII characters");
        }
        base.metric_namespace = *v;
    }
    if (auto v = get("LIFT_METRICS_SERVICE"); v && !v->empty()) {
        if (auto bad = check_dimension({"service", *v}); !bad.empty()) {
            return fail(errc::invalid_argument, "LIFT_METRICS_SERVICE: " + bad);
        }
        base.service = *v;
    }
    if (auto v = get("LIFT_METRICS_DIMENSIONS"); v && !v->empty()) {
        std::string_view rest = *v;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (item.empty()) {
                continue;
            }
            const auto eq = item.find('=');
            if (eq == std::string_view::npos) {
                return fail(errc::invalid_argument, "LIFT_METRICS_DIMENSIONS: '" +
                                                        std::string{item} + "' is not name=value");
            }
            metric_dimension d{std::string{item.substr(0, eq)}, std::string{item.substr(eq + 1)}};
            if (auto bad = check_dimension(d); !bad.empty()) {
                return fail(errc::invalid_argument, "LIFT_METRICS_DIMENSIONS: " + bad);
            }
            base.default_dimensions.push_back(std::move(d));
        }
    }
    return base;
}

void stdout_metrics_sink::write(std::string_view document) {
    const std::lock_guard lock{mutex_};
    std::fwrite(document.data(), 1, document.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void metrics::problem(std::string text) {
    if (problems_.size() < 20) {  // enough to diagnose; bounded
        problems_.push_back(std::move(text));
    }
}

void metrics::add(std::string_view name,
                  double value,
                  metric_unit unit,
                  std::vector<metric_dimension> dimensions,
                  metric_resolution resolution) {
    if (config_ != nullptr && !config_->enabled) {
        return;
    }
    const std::string n{name};
    if (name.empty() || name.size() > emf_limits::max_name_length || name == "_aws") {
        problem("metric name '" + n + "' must be 1-255 characters and not '_aws'");
        return;
    }
    if (!std::isfinite(value)) {
        problem("metric '" + n + "': value is not finite");
        return;
    }
    if (static_cast<std::size_t>(unit) >= unit_names.size()) {
        problem("metric '" + n + "': unknown unit");
        return;
    }
    // Every name a dimension of this value would carry, to check collisions and the count.
    dims_t all;
    if (config_ != nullptr) {
        if (!config_->service.empty()) {
            set_dim(all, "service", config_->service);
        }
        for (const auto& d : config_->default_dimensions) {
            set_dim(all, d.name, d.value);
        }
    }
    for (const auto& d : dimensions_) {
        set_dim(all, d.name, d.value);
    }
    for (const auto& d : dimensions) {
        if (auto bad = check_dimension(d); !bad.empty()) {
            problem("metric '" + n + "': " + bad);
            return;
        }
        set_dim(all, d.name, d.value);
    }
    if (all.size() > emf_limits::max_dimensions_per_set) {
        problem("metric '" + n + "': more than 30 dimensions");
        return;
    }
    for (const auto& [dn, dv] : all) {
        if (dn == name) {
            problem("metric '" + n + "' has the name of a dimension");
            return;
        }
    }
    std::sort(dimensions.begin(), dimensions.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    std::size_t total = 0;
    metric_entry* same = nullptr;
    for (auto& e : entries_) {
        total += e.values.size();
        if (e.name != name) {
            continue;
        }
        if (e.unit != unit || e.resolution != resolution) {
            problem("metric '" + n + "': unit or resolution differs from its first use");
            return;
        }
        const bool same_dims = e.dimensions.size() == dimensions.size() &&
                               std::equal(e.dimensions.begin(), e.dimensions.end(),
                                          dimensions.begin(), [](const auto& a, const auto& b) {
                                              return a.name == b.name && a.value == b.value;
                                          });
        if (same_dims) {
            same = &e;
        }
    }
    if (total >= max_values_per_recorder) {
        problem("more than 100000 metric values in one invocation; further values dropped");
        return;
    }
    if (same != nullptr) {
        same->values.push_back(value);
        return;
    }
    entries_.push_back({n, unit, resolution, std::move(dimensions), {value}});
}

void metrics::add_dimension(std::string name, std::string value) {
    metric_dimension d{std::move(name), std::move(value)};
    if (auto bad = check_dimension(d); !bad.empty()) {
        problem(bad);
        return;
    }
    for (const auto& e : entries_) {
        if (e.name == d.name) {
            problem("dimension '" + d.name + "' has the name of a metric");
            return;
        }
    }
    for (auto& existing : dimensions_) {
        if (existing.name == d.name) {
            existing.value = std::move(d.value);
            return;
        }
    }
    if (dimensions_.size() >= emf_limits::max_dimensions_per_set) {
        problem("more than 30 dimensions");
        return;
    }
    dimensions_.push_back(std::move(d));
}

void metrics::set_property(std::string name, boost::json::value value) {
    if (name.empty() || name == "_aws") {
        problem("property name must be non-empty and not '_aws'");
        return;
    }
    for (auto& [n, v] : properties_) {
        if (n == name) {
            v = std::move(value);
            return;
        }
    }
    properties_.emplace_back(std::move(name), std::move(value));
}

std::vector<std::string> metrics::serialize(std::int64_t timestamp_ms) const {
    std::vector<std::string> out;
    if (entries_.empty()) {
        return out;
    }
    // 1. The full dimension set of every entry; entries sharing one form a group.
    std::vector<dims_t> group_dims;
    std::vector<std::vector<const metric_entry*>> groups;
    for (const auto& e : entries_) {
        dims_t dims;
        if (config_ != nullptr) {
            if (!config_->service.empty()) {
                set_dim(dims, "service", config_->service);
            }
            for (const auto& d : config_->default_dimensions) {
                set_dim(dims, d.name, d.value);
            }
        }
        for (const auto& d : dimensions_) {
            set_dim(dims, d.name, d.value);
        }
        for (const auto& d : e.dimensions) {
            set_dim(dims, d.name, d.value);
        }
        std::sort(dims.begin(), dims.end());
        auto it = std::find(group_dims.begin(), group_dims.end(), dims);
        if (it == group_dims.end()) {
            group_dims.push_back(std::move(dims));
            groups.emplace_back();
            groups.back().push_back(&e);
        } else {
            groups[static_cast<std::size_t>(it - group_dims.begin())].push_back(&e);
        }
    }
    // 2. Directives of at most 100 metrics with at most 100 values each: round r takes values
    //    [100r, 100r+100) of every metric that has that many.
    std::vector<directive> parts;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t begin = 0;; begin += emf_limits::max_values_per_metric) {
            std::vector<slice> slices;
            for (const auto* e : groups[g]) {
                if (e->values.size() > begin) {
                    slices.push_back(
                        {e, begin,
                         std::min(e->values.size(), begin + emf_limits::max_values_per_metric)});
                }
            }
            if (slices.empty()) {
                break;
            }
            for (std::size_t i = 0; i < slices.size(); i += emf_limits::max_metrics_per_document) {
                directive d{&group_dims[g], {}};
                const auto last = std::min(slices.size(), i + emf_limits::max_metrics_per_document);
                d.metrics.assign(slices.begin() + static_cast<std::ptrdiff_t>(i),
                                 slices.begin() + static_cast<std::ptrdiff_t>(last));
                parts.push_back(std::move(d));
            }
        }
    }
    // 3. Pack directives into as few documents as the rules allow (first fit).
    std::vector<document> docs;
    for (auto& part : parts) {
        document* target = nullptr;
        for (auto& doc : docs) {
            if (fits(doc, part)) {
                target = &doc;
                break;
            }
        }
        if (target == nullptr) {
            target = &docs.emplace_back();
        }
        target->metric_count += part.metrics.size();
        target->directives.push_back(std::move(part));
    }
    // 4. Serialize.
    const std::string& ns = config_ != nullptr && !config_->metric_namespace.empty()
                                ? config_->metric_namespace
                                : std::string{"Lift"};
    for (const auto& doc : docs) {
        std::string s;
        s.reserve(256 + 64 * doc.metric_count);
        s += R"({"_aws":{"Timestamp":)";
        s += std::to_string(timestamp_ms);
        s += R"(,"CloudWatchMetrics":[)";
        std::map<std::string, std::string> root_dims;
        for (std::size_t i = 0; i < doc.directives.size(); ++i) {
            const auto& d = doc.directives[i];
            if (i > 0) {
                s += ',';
            }
            s += R"({"Namespace":)";
            detail::append_json_string(s, ns);
            s += R"(,"Dimensions":[[)";
            for (std::size_t k = 0; k < d.dims->size(); ++k) {
                if (k > 0) {
                    s += ',';
                }
                detail::append_json_string(s, (*d.dims)[k].first);
                root_dims.emplace((*d.dims)[k].first, (*d.dims)[k].second);
            }
            s += R"(]],"Metrics":[)";
            for (std::size_t k = 0; k < d.metrics.size(); ++k) {
                const auto& e = *d.metrics[k].entry;
                if (k > 0) {
                    s += ',';
                }
                s += R"({"Name":)";
                detail::append_json_string(s, e.name);
                s += R"(,"Unit":)";
                detail::append_json_string(s, to_string(e.unit));
                if (e.resolution == metric_resolution::high) {
                    s += R"(,"StorageResolution":1)";
                }
                s += '}';
            }
            s += "]}";
        }
        s += "]}";
        for (const auto& [name, value] : root_dims) {
            s += ',';
            detail::append_json_string(s, name);
            s += ':';
            detail::append_json_string(s, value);
        }
        for (const auto& d : doc.directives) {
            for (const auto& sl : d.metrics) {
                s += ',';
                detail::append_json_string(s, sl.entry->name);
                s += ':';
                if (sl.end - sl.begin == 1) {
                    append_number(s, sl.entry->values[sl.begin]);
                    continue;
                }
                s += '[';
                for (std::size_t v = sl.begin; v < sl.end; ++v) {
                    if (v > sl.begin) {
                        s += ',';
                    }
                    append_number(s, sl.entry->values[v]);
                }
                s += ']';
            }
        }
        for (const auto& [name, value] : properties_) {
            if (root_dims.count(name) != 0 || has_name(doc, name)) {
                continue;  // a property never shadows a dimension or a metric
            }
            s += ',';
            detail::append_json_string(s, name);
            s += ':';
            s += boost::json::serialize(value);
        }
        s += '}';
        out.push_back(std::move(s));
    }
    return out;
}

std::size_t metrics::flush(metrics_sink& sink, std::int64_t timestamp_ms) {
    const auto docs = serialize(timestamp_ms);
    for (const auto& d : docs) {
        sink.write(d);
    }
    clear();
    return docs.size();
}

void metrics::clear() noexcept {
    entries_.clear();
    dimensions_.clear();
    properties_.clear();
    problems_.clear();
}

broadcast_counts record_broadcast(metrics& m, std::span<const result<void>> results) {
    broadcast_counts c;
    for (const auto& r : results) {
        if (r) {
            ++c.delivered;
        } else if (r.error().code == errc::gone || r.error().code == condition::gone) {
            ++c.gone;
        } else {
            ++c.failed;
        }
    }
    m.add(standard_metrics::broadcast_delivered, static_cast<double>(c.delivered));
    m.add(standard_metrics::broadcast_gone, static_cast<double>(c.gone));
    m.add(standard_metrics::broadcast_failed, static_cast<double>(c.failed));
    return c;
}

}  // namespace lift
