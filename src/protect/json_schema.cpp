// The JSON Schema subset of json_schema.hpp: compiled once into a tree of nodes, then checked
// without allocating except for the violation's path and reason.
#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <lift/protect/json_schema.hpp>

namespace lift::protect {

namespace json = boost::json;

namespace {

// Bits of the `type` keyword.
enum type_bit : unsigned {
    t_null = 1U << 0,
    t_boolean = 1U << 1,
    t_object = 1U << 2,
    t_array = 1U << 3,
    t_number = 1U << 4,
    t_string = 1U << 5,
    t_integer = 1U << 6,
};

std::optional<unsigned> type_bit_of(std::string_view name) {
    if (name == "null") {
        return t_null;
    }
    if (name == "boolean") {
        return t_boolean;
    }
    if (name == "object") {
        return t_object;
    }
    if (name == "array") {
        return t_array;
    }
    if (name == "number") {
        return t_number;
    }
    if (name == "string") {
        return t_string;
    }
    if (name == "integer") {
        return t_integer;
    }
    return std::nullopt;
}

bool is_integral(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) {
        return true;
    }
    if (v.is_double()) {
        const double d = v.get_double();
        return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
}

double to_double(const json::value& v) {
    if (v.is_int64()) {
        return static_cast<double>(v.get_int64());
    }
    if (v.is_uint64()) {
        return static_cast<double>(v.get_uint64());
    }
    return v.get_double();
}

// JSON equality with numbers compared by value (1 == 1.0), as JSON Schema requires.
bool json_equal(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_double() || b.is_double()) {
            return to_double(a) == to_double(b);
        }
        if (a.is_int64() && b.is_int64()) {
            return a.get_int64() == b.get_int64();
        }
        if (a.is_uint64() && b.is_uint64()) {
            return a.get_uint64() == b.get_uint64();
        }
        const auto& s = a.is_int64() ? a : b;  // one int64, one uint64
        const auto& u = a.is_int64() ? b : a;
        return s.get_int64() >= 0 && static_cast<std::uint64_t>(s.get_int64()) == u.get_uint64();
    }
    if (a.kind() != b.kind()) {
        return false;
    }
    if (a.is_array()) {
        const auto& x = a.get_array();
        const auto& y = b.get_array();
        if (x.size() != y.size()) {
            return false;
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!json_equal(x[i], y[i])) {
                return false;
            }
        }
        return true;
    }
    if (a.is_object()) {
        const auto& x = a.get_object();
        const auto& y = b.get_object();
        if (x.size() != y.size()) {
            return false;
        }
        for (const auto& [k, v] : x) {
            const auto* other = y.if_contains(k);
            if (other == nullptr || !json_equal(v, *other)) {
                return false;
            }
        }
        return true;
    }
    return a == b;
}

std::string type_names(unsigned bits) {
    std::string out;
    const std::pair<unsigned, const char*> names[] = {
        {t_null, "null"},     {t_boolean, "boolean"}, {t_object, "object"}, {t_array, "array"},
        {t_number, "number"}, {t_integer, "integer"}, {t_string, "string"}};
    for (const auto& [bit, name] : names) {
        if ((bits & bit) != 0) {
            if (!out.empty()) {
                out += " or ";
            }
            out += name;
        }
    }
    return out;
}

std::string number_text(double d) {
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15) {
        return fmt::format("{}", static_cast<std::int64_t>(d));
    }
    return fmt::format("{}", d);
}

}  // namespace

struct json_schema::node {
    // A boolean schema: `true` accepts everything, `false` nothing.
    std::optional<bool> constant;
    unsigned types = 0;  // 0 = no `type` keyword
    std::optional<std::vector<json::value>> enum_values;
    std::optional<json::value> const_value;
    std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
    std::optional<std::size_t> min_length, max_length, min_items, max_items;
    std::optional<std::regex> pattern;
    std::string pattern_text;
    std::unique_ptr<node> items;
    std::vector<std::pair<std::string, std::unique_ptr<node>>> properties;
    std::vector<std::string> required;
    // additionalProperties: nullopt/null pointer = allowed; `false` = a constant-false node.
    std::unique_ptr<node> additional;
};

namespace {

using node = json_schema::node;

error schema_error(const std::string& where, const std::string& what) {
    return fail(errc::invalid_argument,
                "JSON schema: " + what + " at " + (where.empty() ? std::string{"/"} : where));
}

result<std::size_t> count_of(const json::value& v, const char* keyword, const std::string& where) {
    if (is_integral(v) && to_double(v) >= 0) {
        return static_cast<std::size_t>(to_double(v));
    }
    return schema_error(where, fmt::format("'{}' must be a non-negative integer", keyword));
}

result<double> number_of(const json::value& v, const char* keyword, const std::string& where) {
    if (v.is_number()) {
        return to_double(v);
    }
    return schema_error(where, fmt::format("'{}' must be a number", keyword));
}

result<std::unique_ptr<node>> compile_node(const json::value& s,
                                           const std::string& where,
                                           int depth) {
    if (depth > 64) {
        return schema_error(where, "schema nested deeper than 64 levels");
    }
    auto n = std::make_unique<node>();
    if (s.is_bool()) {
        n->constant = s.get_bool();
        return n;
    }
    if (!s.is_object()) {
        return schema_error(where, "a schema must be an object or a boolean");
    }
    static constexpr std::string_view ignored[] = {"$schema",     "$id",     "$comment", "title",
                                                   "description", "default", "examples"};
    for (const auto& [k, v] : s.get_object()) {
        std::string here = where;
        append_pointer_token(here, k);
        const std::string key{k};
        if (key == "type") {
            auto add = [&](const json::value& t) -> result<void> {
                const auto* name = t.if_string();
                const auto bit = name ? type_bit_of(*name) : std::nullopt;
                if (!bit) {
                    return schema_error(here,
                                        "'type' must name null, boolean, object, array, "
                                        "number, integer or string");
                }
                n->types |= *bit;
                return {};
            };
            if (v.is_array()) {
                if (v.get_array().empty()) {
                    return schema_error(here, "'type' must not be an empty array");
                }
                for (const auto& t : v.get_array()) {
                    if (auto r = add(t); !r) {
                        return r.error();
                    }
                }
            } else if (auto r = add(v); !r) {
                return r.error();
            }
        } else if (key == "enum") {
            if (!v.is_array() || v.get_array().empty()) {
                return schema_error(here, "'enum' must be a non-empty array");
            }
            n->enum_values.emplace(v.get_array().begin(), v.get_array().end());
        } else if (key == "const") {
            n->const_value = v;
        } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
                   key == "exclusiveMaximum") {
            if (v.is_bool()) {
                return schema_error(here, "'" + key +
                                              "' must be a number (the draft-4 boolean form is "
                                              "not supported)");
            }
            auto d = number_of(v, key.c_str(), here);
            if (!d) {
                return d.error();
            }
            (key == "minimum"            ? n->minimum
             : key == "maximum"          ? n->maximum
             : key == "exclusiveMinimum" ? n->exclusive_minimum
                                         : n->exclusive_maximum) = *d;
        } else if (key == "minLength" || key == "maxLength" || key == "minItems" ||
                   key == "maxItems") {
            auto c = count_of(v, key.c_str(), here);
            if (!c) {
                return c.error();
            }
            (key == "minLength"   ? n->min_length
             : key == "maxLength" ? n->max_length
             : key == "minItems"  ? n->min_items
                                  : n->max_items) = *c;
        } else if (key == "pattern") {
            if (!v.is_string()) {
                return schema_error(here, "'pattern' must be a string");
            }
            n->pattern_text = std::string{v.get_string()};
            try {
                n->pattern.emplace(n->pattern_text, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                return schema_error(here, std::string{"bad regular expression: "} + e.what());
            }
        } else if (key == "items") {
            if (v.is_array()) {
                return schema_error(here, "'items' as an array (tuple form) is not supported");
            }
            auto child = compile_node(v, here, depth + 1);
            if (!child) {
                return child.error();
            }
            n->items = std::move(*child);
        } else if (key == "properties") {
            if (!v.is_object()) {
                return schema_error(here, "'properties' must be an object");
            }
            for (const auto& [name, sub] : v.get_object()) {
                std::string sub_where = here;
                append_pointer_token(sub_where, name);
                auto child = compile_node(sub, sub_where, depth + 1);
                if (!child) {
                    return child.error();
                }
                n->properties.emplace_back(std::string{name}, std::move(*child));
            }
        } else if (key == "required") {
            if (!v.is_array()) {
                return schema_error(here, "'required' must be an array of strings");
            }
            std::set<std::string> seen;
            for (const auto& r : v.get_array()) {
                if (!r.is_string()) {
                    return schema_error(here, "'required' must be an array of strings");
                }
                if (seen.insert(std::string{r.get_string()}).second) {
                    n->required.emplace_back(r.get_string());
                }
            }
        } else if (key == "additionalProperties") {
            auto child = compile_node(v, here, depth + 1);
            if (!child) {
                return child.error();
            }
            n->additional = std::move(*child);
        } else if (std::find(std::begin(ignored), std::end(ignored), key) != std::end(ignored)) {
            continue;
        } else {
            return schema_error(where, "unsupported keyword '" + key + "'");
        }
    }
    if (n->min_length && n->max_length && *n->min_length > *n->max_length) {
        return schema_error(where, "'minLength' is greater than 'maxLength'");
    }
    if (n->min_items && n->max_items && *n->min_items > *n->max_items) {
        return schema_error(where, "'minItems' is greater than 'maxItems'");
    }
    return n;
}

bool type_matches(unsigned types, const json::value& v) {
    switch (v.kind()) {
        case json::kind::null:
            return (types & t_null) != 0;
        case json::kind::bool_:
            return (types & t_boolean) != 0;
        case json::kind::object:
            return (types & t_object) != 0;
        case json::kind::array:
            return (types & t_array) != 0;
        case json::kind::string:
            return (types & t_string) != 0;
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            return (types & t_number) != 0 || ((types & t_integer) != 0 && is_integral(v));
    }
    return false;
}

std::optional<schema_violation> check(const node& n, const json::value& v, std::string& path) {
    auto violation = [&](std::string reason) {
        return std::optional<schema_violation>{schema_violation{path, std::move(reason)}};
    };
    if (n.constant) {
        if (*n.constant) {
            return std::nullopt;
        }
        return violation("is not allowed");
    }
    if (n.types != 0 && !type_matches(n.types, v)) {
        return violation("must be of type " + type_names(n.types));
    }
    if (n.enum_values) {
        bool found = false;
        for (const auto& e : *n.enum_values) {
            if (json_equal(e, v)) {
                found = true;
                break;
            }
        }
        if (!found) {
            std::string list;
            for (const auto& e : *n.enum_values) {
                list += list.empty() ? "" : ", ";
                list += json::serialize(e);
            }
            return violation("must be one of " + list);
        }
    }
    if (n.const_value && !json_equal(*n.const_value, v)) {
        return violation("must be " + json::serialize(*n.const_value));
    }
    if (v.is_number()) {
        const double d = to_double(v);
        if (n.minimum && d < *n.minimum) {
            return violation("must be >= " + number_text(*n.minimum));
        }
        if (n.maximum && d > *n.maximum) {
            return violation("must be <= " + number_text(*n.maximum));
        }
        if (n.exclusive_minimum && d <= *n.exclusive_minimum) {
            return violation("must be > " + number_text(*n.exclusive_minimum));
        }
        if (n.exclusive_maximum && d >= *n.exclusive_maximum) {
            return violation("must be < " + number_text(*n.exclusive_maximum));
        }
    } else if (v.is_string()) {
        const auto& s = v.get_string();
        const std::string_view sv{s.data(), s.size()};
        if (n.min_length || n.max_length) {
            const std::size_t len = utf8_length(sv);
            if (n.min_length && len < *n.min_length) {
                return violation(fmt::format("must have at least {} characters", *n.min_length));
            }
            if (n.max_length && len > *n.max_length) {
                return violation(fmt::format("must have at most {} characters", *n.max_length));
            }
        }
        if (n.pattern && !std::regex_search(sv.begin(), sv.end(), *n.pattern)) {
            return violation("must match pattern " + n.pattern_text);
        }
    } else if (v.is_array()) {
        const auto& a = v.get_array();
        if (n.min_items && a.size() < *n.min_items) {
            return violation(fmt::format("must have at least {} items", *n.min_items));
        }
        if (n.max_items && a.size() > *n.max_items) {
            return violation(fmt::format("must have at most {} items", *n.max_items));
        }
        if (n.items) {
            for (std::size_t i = 0; i < a.size(); ++i) {
                const std::size_t mark = path.size();
                path += '/';
                path += std::to_string(i);
                if (auto bad = check(*n.items, a[i], path)) {
                    return bad;
                }
                path.resize(mark);
            }
        }
    } else if (v.is_object()) {
        const auto& o = v.get_object();
        for (const auto& r : n.required) {
            if (!o.contains(r)) {
                const std::size_t mark = path.size();
                append_pointer_token(path, r);
                auto bad = violation("is required");
                path.resize(mark);
                return bad;
            }
        }
        for (const auto& [name, sub] : n.properties) {
            if (const auto* member = o.if_contains(name)) {
                const std::size_t mark = path.size();
                append_pointer_token(path, name);
                if (auto bad = check(*sub, *member, path)) {
                    return bad;
                }
                path.resize(mark);
            }
        }
        if (n.additional) {
            for (const auto& [k, member] : o) {
                bool declared = false;
                for (const auto& p : n.properties) {
                    if (p.first == std::string_view{k}) {
                        declared = true;
                        break;
                    }
                }
                if (declared) {
                    continue;
                }
                const std::size_t mark = path.size();
                append_pointer_token(path, k);
                if (n.additional->constant && !*n.additional->constant) {
                    auto bad = violation("is not an allowed property");
                    path.resize(mark);
                    return bad;
                }
                if (auto bad = check(*n.additional, member, path)) {
                    return bad;
                }
                path.resize(mark);
            }
        }
    }
    return std::nullopt;
}

}  // namespace

void append_pointer_token(std::string& pointer, std::string_view token) {
    pointer += '/';
    for (const char c : token) {
        if (c == '~') {
            pointer += "~0";
        } else if (c == '/') {
            pointer += "~1";
        } else {
            pointer += c;
        }
    }
}

std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (const char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
            ++n;
        }
    }
    return n;
}

result<json_schema> json_schema::compile(const json::value& schema) {
    auto root = compile_node(schema, "", 0);
    if (!root) {
        return root.error();
    }
    return json_schema{std::shared_ptr<const node>(std::move(*root))};
}

result<json_schema> json_schema::compile(std::string_view schema_json) {
    boost::system::error_code ec;
    json::value v = json::parse(schema_json, ec);
    if (ec) {
        return fail(errc::parse_error, "JSON schema: not valid JSON: " + ec.message());
    }
    return compile(v);
}

std::optional<schema_violation> json_schema::validate(const json::value& instance) const {
    std::string path;
    return check(*root_, instance, path);
}

}  // namespace lift::protect
