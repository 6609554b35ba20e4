#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory_resource>
#include <span>
#include <string>
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

// Entries reserved by the first `add`: a typical invocation records fewer (ColdStart,
// Messages, MessageBytes, HandlerLatency, Errors).
constexpr std::size_t initial_entries = 8;

// What `clear` and `flush` keep for reuse: at most this many entries, an entry's values only
// up to this capacity, and a document buffer up to this size.
constexpr std::size_t max_spare_entries = 64;
constexpr std::size_t max_kept_values = 128;
constexpr std::size_t max_kept_text = 64 * 1024;

// Stack memory for `serialize`'s working data: enough for a typical invocation's metrics, so
// that only the documents themselves are allocated; larger recorders spill to the heap.
constexpr std::size_t serialize_arena_bytes = 4096;

// A dimension as a name and a value, viewing strings owned by the recorder or its config.
using dim_ref = std::pair<std::string_view, std::string_view>;

template <class T>
using arena_vector = std::pmr::vector<T>;

bool is_printable_ascii(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool is_blank(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

bool valid_dimension(const metric_dimension& d) noexcept {
    return !d.name.empty() && d.name.size() <= emf_limits::max_name_length && !is_blank(d.name) &&
           is_printable_ascii(d.name) && d.name.front() != ':' &&
           std::string_view{d.name} != "_aws" && !d.value.empty() &&
           d.value.size() <= emf_limits::max_dimension_value_length && !is_blank(d.value) &&
           is_printable_ascii(d.value);
}

// Why a dimension is invalid, or empty.
std::string check_dimension(const metric_dimension& d) {
    if (valid_dimension(d)) {
        return {};
    }
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

// Distinct dimension names of one value, at most 30 (the EMF limit), without allocating.
class dimension_names {
public:
    // Adds `name`; false when it is new and 30 names are held already.
    bool insert(std::string_view name) noexcept {
        if (contains(name)) {
            return true;
        }
        if (size_ == names_.size()) {
            return false;
        }
        names_[size_++] = name;
        return true;
    }

    bool contains(std::string_view name) const noexcept {
        return std::find(names_.begin(), names_.begin() + static_cast<std::ptrdiff_t>(size_),
                         name) != names_.begin() + static_cast<std::ptrdiff_t>(size_);
    }

private:
    std::array<std::string_view, emf_limits::max_dimensions_per_set> names_{};
    std::size_t size_ = 0;
};

void set_dim(arena_vector<dim_ref>& dims, std::string_view name, std::string_view value) {
    for (auto& [n, v] : dims) {
        if (n == name) {
            v = value;
            return;
        }
    }
    dims.emplace_back(name, value);
}

// Builds a document through a cursor into the string's own buffer: std::string's append is an
// out-of-line call per piece, which was most of the cost of a small document.
class doc_writer {
public:
    doc_writer(std::string& out, std::size_t expected) : out_(out) { grow(expected); }

    doc_writer(const doc_writer&) = delete;
    doc_writer& operator=(const doc_writer&) = delete;

    ~doc_writer() { out_.resize(pos_); }

    void put(char c) {
        room(1);
        data_[pos_++] = c;
    }

    void put(std::string_view s) {
        room(s.size());
        std::memcpy(data_ + pos_, s.data(), s.size());
        pos_ += s.size();
    }

    // `s` as a quoted JSON string.
    void put_string(std::string_view s) {
        room(detail::max_json_string_size(s.size()));
        pos_ = static_cast<std::size_t>(detail::write_json_string(data_ + pos_, s) - data_);
    }

    void put_integer(std::int64_t v) {
        constexpr std::size_t digits = 24;
        room(digits);
        const auto [end, ec] = std::to_chars(data_ + pos_, data_ + pos_ + digits, v);
        if (ec == std::errc{}) {
            pos_ = static_cast<std::size_t>(end - data_);
        }
    }

    // The shortest form that reads back as `v` (std::to_chars). Whole numbers below 10000 take
    // a quicker path with the same text: their plain digits are never longer than the exponent
    // form.
    void put_number(double v) {
        if (std::abs(v) < 10000 && std::trunc(v) == v && !(v == 0 && std::signbit(v))) {
            put_integer(static_cast<std::int64_t>(v));
            return;
        }
        constexpr std::size_t longest = 32;  // any shortest form of a double fits
        room(longest);
        const auto [end, ec] = std::to_chars(data_ + pos_, data_ + pos_ + longest, v);
        if (ec != std::errc{}) {
            data_[pos_++] = '0';  // unreachable for finite doubles
            return;
        }
        pos_ = static_cast<std::size_t>(end - data_);
    }

private:
    void room(std::size_t n) {
        if (n > size_ - pos_) {
            grow(pos_ + n);
        }
    }

    void grow(std::size_t need) {
        out_.resize(std::max(need, 2 * size_));
        data_ = out_.data();
        size_ = out_.size();
    }

    std::string& out_;
    char* data_ = nullptr;
    std::size_t size_ = 0;  // out_.size(): the room written so far or not
    std::size_t pos_ = 0;   // end of what was written
};

constexpr std::size_t none = static_cast<std::size_t>(-1);

// One metric's slice of values inside one document.
struct slice {
    const metric_entry* entry;
    std::size_t begin;
    std::size_t end;
};

// Entries sharing one full dimension set (a range of the plan's dimension pool).
struct group {
    std::size_t dims_begin;
    std::size_t dims_end;
    arena_vector<const metric_entry*> entries;
};

// A directive: one dimension set and up to 100 metric slices (a range of the plan's slices).
// The directives of one document are linked through `next`, in the order they joined it.
struct directive {
    std::span<const dim_ref> dims;
    std::size_t slices_begin;
    std::size_t slices_end;
    std::size_t next = none;
};

struct document {
    std::size_t first = none;  // first directive
    std::size_t last = none;   // last directive
    std::size_t metric_count = 0;
};

// How a recorder's metrics are laid out in documents. Lives in `serialize`'s arena.
struct plan {
    explicit plan(std::pmr::memory_resource* arena)
        : pool(arena),
          groups(arena),
          slices(arena),
          directives(arena),
          documents(arena) {}

    arena_vector<dim_ref> pool;  // the dimension sets of every group, one after the other
    arena_vector<group> groups;
    arena_vector<slice> slices;
    arena_vector<directive> directives;
    arena_vector<document> documents;

    std::span<const slice> slices_of(const directive& d) const {
        return std::span<const slice>{slices}.subspan(d.slices_begin,
                                                      d.slices_end - d.slices_begin);
    }

    // Calls `f` for each directive of `doc`, in order, until it returns false; returns
    // false when `f` did.
    template <class F>
    bool each_directive(const document& doc, F&& f) const {
        for (std::size_t i = doc.first; i != none; i = directives[i].next) {
            if (!f(directives[i])) {
                return false;
            }
        }
        return true;
    }

    bool has_name(const document& doc, std::string_view name) const {
        return !each_directive(doc, [&](const directive& d) {
            for (const auto& s : slices_of(d)) {
                if (s.entry->name == name) {
                    return false;
                }
            }
            for (const auto& [n, v] : d.dims) {
                if (n == name) {
                    return false;
                }
            }
            return true;
        });
    }

    // True when `part` can join `doc`: room for its metrics, no metric name twice, dimension
    // values that agree, and no metric name equal to a dimension name.
    bool fits(const document& doc, const directive& part) const {
        const auto metrics = slices_of(part);
        if (doc.metric_count + metrics.size() > emf_limits::max_metrics_per_document) {
            return false;
        }
        for (const auto& s : metrics) {
            if (has_name(doc, s.entry->name)) {
                return false;
            }
        }
        return each_directive(doc, [&](const directive& d) {
            for (const auto& [name, value] : part.dims) {
                for (const auto& [n, v] : d.dims) {
                    if (n == name && v != value) {
                        return false;
                    }
                }
                for (const auto& s : slices_of(d)) {
                    if (s.entry->name == name) {
                        return false;
                    }
                }
            }
            return true;
        });
    }
};

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
    if (name.empty() || name.size() > emf_limits::max_name_length || name == "_aws") {
        problem("metric name '" + std::string{name} + "' must be 1-255 characters and not '_aws'");
        return;
    }
    if (!std::isfinite(value)) {
        problem("metric '" + std::string{name} + "': value is not finite");
        return;
    }
    if (static_cast<std::size_t>(unit) >= unit_names.size()) {
        problem("metric '" + std::string{name} + "': unknown unit");
        return;
    }
    for (const auto& d : dimensions) {
        if (!valid_dimension(d)) {
            problem("metric '" + std::string{name} + "': " + check_dimension(d));
            return;
        }
    }
    // Every name a dimension of this value would carry, to check the count and collisions
    // (without copying them: this runs for every recorded value).
    dimension_names names;
    bool too_many = false;
    if (config_ != nullptr) {
        if (!config_->service.empty()) {
            too_many = too_many || !names.insert("service");
        }
        for (const auto& d : config_->default_dimensions) {
            too_many = too_many || !names.insert(d.name);
        }
    }
    for (const auto& d : dimensions_) {
        too_many = too_many || !names.insert(d.name);
    }
    for (const auto& d : dimensions) {
        too_many = too_many || !names.insert(d.name);
    }
    if (too_many) {
        problem("metric '" + std::string{name} + "': more than 30 dimensions");
        return;
    }
    if (names.contains(name)) {
        problem("metric '" + std::string{name} + "' has the name of a dimension");
        return;
    }
    if (dimensions.size() > 1) {
        std::sort(dimensions.begin(), dimensions.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
    }
    std::size_t total = 0;
    metric_entry* same = nullptr;
    for (auto& e : entries_) {
        total += e.values.size();
        if (e.name != name) {
            continue;
        }
        if (e.unit != unit || e.resolution != resolution) {
            problem("metric '" + std::string{name} +
                    "': unit or resolution differs from its first use");
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
    if (entries_.capacity() == 0) {
        entries_.reserve(initial_entries);  // one allocation for a typical invocation's metrics
    }
    if (spare_.empty()) {
        entries_.push_back({std::string{name}, unit, resolution, std::move(dimensions), {value}});
    } else {
        // A cleared entry's name and values keep their memory.
        metric_entry e = std::move(spare_.back());
        spare_.pop_back();
        e.name.assign(name);
        e.unit = unit;
        e.resolution = resolution;
        e.dimensions = std::move(dimensions);
        e.values.clear();
        e.values.push_back(value);
        entries_.push_back(std::move(e));
    }
    if (spare_.capacity() < entries_.size() && entries_.size() <= max_spare_entries) {
        spare_.reserve(entries_.capacity());  // room for `clear` to keep them all
    }
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

template <class Emit>
void metrics::each_document(std::int64_t timestamp_ms, std::string& text, Emit&& emit) const {
    using namespace std::string_view_literals;
    if (entries_.empty()) {
        return;
    }
    std::array<std::byte, serialize_arena_bytes> buffer;  // NOLINT: left uninitialised
    std::pmr::monotonic_buffer_resource arena{buffer.data(), buffer.size()};
    plan p{&arena};
    // 1. The full dimension set of every entry (defaults, recorder-wide, its own; sorted);
    //    entries sharing one form a group.
    arena_vector<dim_ref> base{&arena};
    if (config_ != nullptr) {
        if (!config_->service.empty()) {
            set_dim(base, "service", config_->service);
        }
        for (const auto& d : config_->default_dimensions) {
            set_dim(base, d.name, d.value);
        }
    }
    for (const auto& d : dimensions_) {
        set_dim(base, d.name, d.value);
    }
    std::size_t most_dims = 0;
    for (const auto& e : entries_) {
        most_dims = std::max(most_dims, e.dimensions.size());
    }
    arena_vector<dim_ref> dims{&arena};
    dims.reserve(base.size() + most_dims);
    const std::size_t typical = std::min(entries_.size(), initial_entries);
    p.groups.reserve(typical);
    p.pool.reserve(typical * dims.capacity());
    p.slices.reserve(typical);
    p.directives.reserve(typical);
    p.documents.reserve(1);
    for (const auto& e : entries_) {
        dims.assign(base.begin(), base.end());
        for (const auto& d : e.dimensions) {
            set_dim(dims, d.name, d.value);
        }
        if (dims.size() > 1) {
            std::sort(dims.begin(), dims.end());
        }
        group* home = nullptr;
        for (auto& g : p.groups) {
            if (std::equal(dims.begin(), dims.end(),
                           p.pool.begin() + static_cast<std::ptrdiff_t>(g.dims_begin),
                           p.pool.begin() + static_cast<std::ptrdiff_t>(g.dims_end))) {
                home = &g;
                break;
            }
        }
        if (home == nullptr) {
            const std::size_t begin = p.pool.size();
            p.pool.insert(p.pool.end(), dims.begin(), dims.end());
            home = &p.groups.emplace_back(
                group{begin, p.pool.size(), arena_vector<const metric_entry*>{&arena}});
        }
        home->entries.push_back(&e);
    }
    // 2. Directives of at most 100 metrics with at most 100 values each: round r takes values
    //    [100r, 100r+100) of every metric that has that many.
    for (const auto& g : p.groups) {
        const std::span<const dim_ref> group_dims =
            std::span<const dim_ref>{p.pool}.subspan(g.dims_begin, g.dims_end - g.dims_begin);
        for (std::size_t begin = 0;; begin += emf_limits::max_values_per_metric) {
            const std::size_t first = p.slices.size();
            for (const auto* e : g.entries) {
                if (e->values.size() > begin) {
                    p.slices.push_back(
                        {e, begin,
                         std::min(e->values.size(), begin + emf_limits::max_values_per_metric)});
                }
            }
            const std::size_t last = p.slices.size();
            if (first == last) {
                break;
            }
            for (std::size_t i = first; i < last; i += emf_limits::max_metrics_per_document) {
                p.directives.push_back(
                    {group_dims, i, std::min(last, i + emf_limits::max_metrics_per_document)});
            }
        }
    }
    // 3. Pack directives into as few documents as the rules allow (first fit).
    for (std::size_t i = 0; i < p.directives.size(); ++i) {
        const directive& part = p.directives[i];
        document* target = nullptr;
        for (auto& doc : p.documents) {
            if (p.fits(doc, part)) {
                target = &doc;
                break;
            }
        }
        if (target == nullptr) {
            target = &p.documents.emplace_back();
        }
        target->metric_count += part.slices_end - part.slices_begin;
        if (target->last == none) {
            target->first = i;
        } else {
            p.directives[target->last].next = i;
        }
        target->last = i;
    }
    // 4. Serialize.
    const std::string_view ns = config_ != nullptr && !config_->metric_namespace.empty()
                                    ? std::string_view{config_->metric_namespace}
                                    : std::string_view{"Lift"};
    arena_vector<dim_ref> root_dims{&arena};
    const auto write_document = [&](doc_writer& w, const document& doc) {
        w.put(R"({"_aws":{"Timestamp":)"sv);
        w.put_integer(timestamp_ms);
        w.put(R"(,"CloudWatchMetrics":[)"sv);
        root_dims.clear();
        bool first_directive = true;
        p.each_directive(doc, [&](const directive& d) {
            if (!first_directive) {
                w.put(',');
            }
            first_directive = false;
            w.put(R"({"Namespace":)"sv);
            w.put_string(ns);
            w.put(R"(,"Dimensions":[[)"sv);
            for (std::size_t k = 0; k < d.dims.size(); ++k) {
                if (k > 0) {
                    w.put(',');
                }
                w.put_string(d.dims[k].first);
                root_dims.push_back(d.dims[k]);
            }
            w.put(R"(]],"Metrics":[)"sv);
            bool first_metric = true;
            for (const auto& sl : p.slices_of(d)) {
                const auto& e = *sl.entry;
                if (!first_metric) {
                    w.put(',');
                }
                first_metric = false;
                w.put(R"({"Name":)"sv);
                w.put_string(e.name);
                w.put(R"(,"Unit":")"sv);
                w.put(to_string(e.unit));  // no character to escape in a unit's name
                w.put('"');
                if (e.resolution == metric_resolution::high) {
                    w.put(R"(,"StorageResolution":1)"sv);
                }
                w.put('}');
            }
            w.put("]}"sv);
            return true;
        });
        w.put("]}"sv);
        // Every dimension once, by name (the document's directives agree on their values).
        std::sort(root_dims.begin(), root_dims.end());
        const auto root_end =
            std::unique(root_dims.begin(), root_dims.end(),
                        [](const dim_ref& a, const dim_ref& b) { return a.first == b.first; });
        for (auto it = root_dims.begin(); it != root_end; ++it) {
            w.put(',');
            w.put_string(it->first);
            w.put(':');
            w.put_string(it->second);
        }
        p.each_directive(doc, [&](const directive& d) {
            for (const auto& sl : p.slices_of(d)) {
                w.put(',');
                w.put_string(sl.entry->name);
                w.put(':');
                if (sl.end - sl.begin == 1) {
                    w.put_number(sl.entry->values[sl.begin]);
                    continue;
                }
                w.put('[');
                for (std::size_t v = sl.begin; v < sl.end; ++v) {
                    if (v > sl.begin) {
                        w.put(',');
                    }
                    w.put_number(sl.entry->values[v]);
                }
                w.put(']');
            }
            return true;
        });
        for (const auto& [name, value] : properties_) {
            if (p.has_name(doc, name)) {
                continue;  // a property never shadows a dimension or a metric
            }
            w.put(',');
            w.put_string(name);
            w.put(':');
            if (const auto* str = value.if_string()) {
                // Boost.JSON escapes a string exactly as write_json_string does.
                w.put_string(std::string_view{str->data(), str->size()});
            } else {
                w.put(boost::json::serialize(value));
            }
        }
        w.put('}');
    };
    for (const auto& doc : p.documents) {
        {
            doc_writer w{text, 256 + 64 * doc.metric_count};
            write_document(w, doc);
        }
        emit(text);
    }
}

std::vector<std::string> metrics::serialize(std::int64_t timestamp_ms) const {
    std::vector<std::string> out;
    std::string text;
    each_document(timestamp_ms, text, [&](std::string& doc) { out.push_back(std::move(doc)); });
    return out;
}

std::size_t metrics::flush(metrics_sink& sink, std::int64_t timestamp_ms) {
    std::size_t written = 0;
    each_document(timestamp_ms, text_, [&](const std::string& doc) {
        sink.write(doc);
        ++written;
    });
    if (text_.capacity() > max_kept_text) {
        std::string{}.swap(text_);  // an unusually large document: do not keep its memory
    }
    clear();
    return written;
}

void metrics::clear() noexcept {
    // Keep the memory of up to `spare_.capacity()` entries (reserved by `add`) for the next
    // ones: no allocation here.
    for (auto& e : entries_) {
        if (spare_.size() == spare_.capacity()) {
            break;
        }
        if (e.values.capacity() > max_kept_values) {
            e.values = std::vector<double>{};
        }
        spare_.push_back(std::move(e));
    }
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
