#include "attribute_json.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/error.hpp>
#include <lift/core/ascii.hpp>

namespace lift::aws {

namespace detail {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

error malformed(const std::string& path, std::string_view what) {
    std::string msg = "DynamoDB AttributeValue";
    if (!path.empty()) {
        msg += " at ";
        msg += path;
    }
    msg += ": ";
    msg += what;
    return fail(errc::bad_response, std::move(msg));
}

// A DynamoDB number: optional sign, digits with an optional fraction, optional exponent.
bool is_number_text(std::string_view s) noexcept {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
        ++i;
    }
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
        ++digits;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
            ++digits;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            ++i;
        }
        std::size_t exp_digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
            ++exp_digits;
        }
        if (exp_digits == 0) {
            return false;
        }
    }
    return i == s.size();
}

struct type_name {
    std::string_view name;
    attribute_value::kind type;
};

constexpr std::array<type_name, 10> type_names{{
    {"S", attribute_value::kind::s},
    {"N", attribute_value::kind::n},
    {"B", attribute_value::kind::b},
    {"SS", attribute_value::kind::ss},
    {"NS", attribute_value::kind::ns},
    {"BS", attribute_value::kind::bs},
    {"M", attribute_value::kind::m},
    {"L", attribute_value::kind::l},
    {"NULL", attribute_value::kind::null},
    {"BOOL", attribute_value::kind::boolean},
}};

std::string_view name_of(attribute_value::kind k) noexcept {
    for (const auto& t : type_names) {
        if (t.type == k) {
            return t.name;
        }
    }
    return "NULL";
}

// Reads the strings of SS/NS/BS.
result<std::vector<std::string>> string_set(const boost::json::value& v,
                                            attribute_value::kind k,
                                            const std::string& path) {
    const auto* arr = v.if_array();
    if (arr == nullptr) {
        return malformed(path, std::string(name_of(k)) + " is not an array");
    }
    std::vector<std::string> out;
    out.reserve(arr->size());
    for (const auto& e : *arr) {
        const auto* s = e.if_string();
        if (s == nullptr) {
            return malformed(path, std::string(name_of(k)) + " holds a non-string element");
        }
        if (k == attribute_value::kind::bs) {
            auto bytes = base64_decode(*s);
            if (!bytes) {
                return malformed(path, "BS holds invalid base64");
            }
            out.push_back(std::move(*bytes));
        } else {
            if (k == attribute_value::kind::ns && !is_number_text(*s)) {
                return malformed(path, "NS holds a value that is not a number");
            }
            out.emplace_back(s->data(), s->size());
        }
    }
    return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
        out += alphabet[n & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += "==";
    } else if (rest == 2) {
        const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
                       (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U);
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::size_t pad = 0;
    while (!text.empty() && text.back() == '=' && pad < 2) {
        text.remove_suffix(1);
        ++pad;
    }
    if (pad > 0 && (text.size() + pad) % 4 != 0) {
        return std::nullopt;
    }
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int idx = ascii::base64_value(c);
        if (idx < 0) {
            return std::nullopt;
        }
        acc = (acc << 6U) | static_cast<std::uint32_t>(idx);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

boost::json::value to_json(const attribute_value& v) {
    boost::json::object o;
    const std::string_view key = name_of(v.type);
    switch (v.type) {
        case attribute_value::kind::s:
        case attribute_value::kind::n:
            o.emplace(key, v.text);
            break;
        case attribute_value::kind::b:
            o.emplace(key, base64_encode(v.text));
            break;
        case attribute_value::kind::ss:
        case attribute_value::kind::ns:
        case attribute_value::kind::bs: {
            boost::json::array a;
            a.reserve(v.set.size());
            for (const auto& s : v.set) {
                if (v.type == attribute_value::kind::bs) {
                    a.emplace_back(base64_encode(s));
                } else {
                    a.emplace_back(s);
                }
            }
            o.emplace(key, std::move(a));
            break;
        }
        case attribute_value::kind::m:
            o.emplace(key, to_json(v.map));
            break;
        case attribute_value::kind::l: {
            boost::json::array a;
            a.reserve(v.list.size());
            for (const auto& e : v.list) {
                a.push_back(to_json(e));
            }
            o.emplace(key, std::move(a));
            break;
        }
        case attribute_value::kind::null:
            o.emplace(key, true);
            break;
        case attribute_value::kind::boolean:
            o.emplace(key, v.flag);
            break;
    }
    return o;
}

boost::json::object to_json(const attribute_map& item) {
    boost::json::object o;
    o.reserve(item.size());
    for (const auto& [name, value] : item) {
        o.emplace(name, to_json(value));
    }
    return o;
}

result<attribute_value> attribute_from_json(const boost::json::value& v, const std::string& path) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return malformed(path, "not a JSON object");
    }
    if (o->size() != 1) {
        return malformed(path, o->empty() ? "no data type set"
                                          : "more than one data type set (" +
                                                std::to_string(o->size()) + " members)");
    }
    const auto& [key, val] = *o->begin();
    const type_name* found = nullptr;
    for (const auto& t : type_names) {
        if (t.name == key) {
            found = &t;
            break;
        }
    }
    if (found == nullptr) {
        return malformed(path, "unknown data type \"" + std::string(key) + "\"");
    }
    attribute_value out;
    out.type = found->type;
    switch (found->type) {
        case attribute_value::kind::s:
        case attribute_value::kind::n:
        case attribute_value::kind::b: {
            const auto* s = val.if_string();
            if (s == nullptr) {
                return malformed(path, std::string(key) + " is not a string");
            }
            if (found->type == attribute_value::kind::b) {
                auto bytes = base64_decode(*s);
                if (!bytes) {
                    return malformed(path, "B is not valid base64");
                }
                out.text = std::move(*bytes);
            } else {
                if (found->type == attribute_value::kind::n && !is_number_text(*s)) {
                    return malformed(path, "N is not a number");
                }
                out.text.assign(s->data(), s->size());
            }
            break;
        }
        case attribute_value::kind::ss:
        case attribute_value::kind::ns:
        case attribute_value::kind::bs: {
            auto set = string_set(val, found->type, path);
            if (!set) {
                return set.error();
            }
            out.set = std::move(*set);
            break;
        }
        case attribute_value::kind::m: {
            auto m = attribute_map_from_json(val, path);
            if (!m) {
                return m.error();
            }
            out.map = std::move(*m);
            break;
        }
        case attribute_value::kind::l: {
            const auto* arr = val.if_array();
            if (arr == nullptr) {
                return malformed(path, "L is not an array");
            }
            out.list.reserve(arr->size());
            for (std::size_t i = 0; i < arr->size(); ++i) {
                auto e = attribute_from_json((*arr)[i], path + "[" + std::to_string(i) + "]");
                if (!e) {
                    return e.error();
                }
                out.list.push_back(std::move(*e));
            }
            break;
        }
        case attribute_value::kind::null:
            if (!val.is_bool()) {
                return malformed(path, "NULL is not a boolean");
            }
            break;
        case attribute_value::kind::boolean:
            if (!val.is_bool()) {
                return malformed(path, "BOOL is not a boolean");
            }
            out.flag = val.get_bool();
            break;
    }
    return out;
}

result<attribute_map> attribute_map_from_json(const boost::json::value& v,
                                              const std::string& path) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return malformed(path, "not a JSON object");
    }
    attribute_map out;
    for (const auto& [name, value] : *o) {
        std::string sub = path.empty() ? std::string(name) : path + "." + std::string(name);
        auto a = attribute_from_json(value, sub);
        if (!a) {
            return a.error();
        }
        out.insert_or_assign(std::string(name), std::move(*a));
    }
    return out;
}

}  // namespace detail

const std::string* attribute_value::as_string() const noexcept {
    return type == kind::s ? &text : nullptr;
}

std::optional<std::int64_t> attribute_value::as_int() const noexcept {
    if (type != kind::n || text.empty()) {
        return std::nullopt;
    }
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (*first == '+') {
        ++first;
    }
    std::int64_t out = 0;
    const auto [ptr, ec] = std::from_chars(first, last, out);
    if (ec != std::errc{} || ptr != last) {
        return std::nullopt;
    }
    return out;
}

namespace attr {

attribute_value s(std::string value) {
    attribute_value v;
    v.type = attribute_value::kind::s;
    v.text = std::move(value);
    return v;
}

attribute_value n(std::int64_t value) {
    attribute_value v;
    v.type = attribute_value::kind::n;
    v.text = std::to_string(value);
    return v;
}

attribute_value b(std::string bytes) {
    attribute_value v;
    v.type = attribute_value::kind::b;
    v.text = std::move(bytes);
    return v;
}

attribute_value boolean(bool value) {
    attribute_value v;
    v.type = attribute_value::kind::boolean;
    v.flag = value;
    return v;
}

attribute_value null() {
    return attribute_value{};
}

attribute_value m(attribute_map value) {
    attribute_value v;
    v.type = attribute_value::kind::m;
    v.map = std::move(value);
    return v;
}

attribute_value l(std::vector<attribute_value> value) {
    attribute_value v;
    v.type = attribute_value::kind::l;
    v.list = std::move(value);
    return v;
}

attribute_value ss(std::vector<std::string> value) {
    attribute_value v;
    v.type = attribute_value::kind::ss;
    v.set = std::move(value);
    return v;
}

}  // namespace attr

std::string to_wire_json(const attribute_map& item) {
    return boost::json::serialize(detail::to_json(item));
}

result<attribute_map> from_wire_json(std::string_view json) {
    boost::json::parse_options opts;
    opts.max_depth = 256;  // 32 levels of M/L nesting are two JSON levels each
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(json, ec, {}, opts);
    if (ec) {
        return fail(errc::bad_response, "DynamoDB item JSON: " + ec.message());
    }
    return detail::attribute_map_from_json(v, "");
}

}  // namespace lift::aws
