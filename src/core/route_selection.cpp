#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <lift/core/route_selection.hpp>

namespace lift {

namespace {

namespace json = boost::json;

constexpr std::string_view body_prefix = "request.body";

bool is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

error syntax_error(std::string_view text, std::string_view why) {
    std::string msg = "route selection expression '";
    msg.append(text);
    msg += "': ";
    msg.append(why);
    return fail(errc::invalid_argument, std::move(msg));
}

// Splits a JSONPath tail like "a.b[0].c" (after "request.body.") into names and "[n]" indexes.
// `braced` paths (inside ${...}) accept any name characters except '.', '[' and ']'.
bool split_path(std::string_view path, bool braced, std::vector<std::string>& keys) {
    std::size_t i = 0;
    bool expect_name = true;
    while (i < path.size()) {
        if (path[i] == '[') {
            const auto close = path.find(']', i);
            if (close == std::string_view::npos || close == i + 1) {
                return false;
            }
            for (std::size_t j = i + 1; j < close; ++j) {
                if (path[j] < '0' || path[j] > '9') {
                    return false;
                }
            }
            keys.emplace_back(path.substr(i, close - i + 1));
            i = close + 1;
            expect_name = false;
            continue;
        }
        if (!expect_name) {
            if (path[i] != '.') {
                return false;
            }
            ++i;
            expect_name = true;
            if (i == path.size()) {
                return false;
            }
            continue;
        }
        std::size_t end = i;
        while (end < path.size() && path[end] != '.' && path[end] != '[' && path[end] != ']' &&
               (braced || is_name_char(path[end]))) {
            ++end;
        }
        if (end == i) {
            return false;
        }
        keys.emplace_back(path.substr(i, end - i));
        i = end;
        expect_name = false;
    }
    return !keys.empty() && !expect_name;
}

// Length of an unbraced path after "$request.body.": name chars, '.', and [n] groups.
std::size_t unbraced_path_length(std::string_view rest) noexcept {
    std::size_t i = 0;
    while (i < rest.size()) {
        const char c = rest[i];
        if (is_name_char(c) || c == '.') {
            ++i;
        } else if (c == '[') {
            const auto close = rest.find(']', i);
            if (close == std::string_view::npos) {
                return rest.size();  // let split_path report the broken index
            }
            i = close + 1;
        } else {
            break;
        }
    }
    // A trailing '.' belongs to the static text that follows ("$request.body.a." → "a" + ".").
    while (i > 0 && rest[i - 1] == '.') {
        --i;
    }
    return i;
}

const json::value* lookup(const json::value& root, const std::vector<std::string>& keys) {
    const json::value* cur = &root;
    for (const auto& k : keys) {
        if (!k.empty() && k.front() == '[') {
            const auto* a = cur->if_array();
            if (a == nullptr) {
                return nullptr;
            }
            std::size_t index = 0;
            const auto* first = k.data() + 1;
            const auto* last = k.data() + k.size() - 1;
            if (std::from_chars(first, last, index).ec != std::errc{} || index >= a->size()) {
                return nullptr;
            }
            cur = &(*a)[index];
        } else {
            const auto* o = cur->if_object();
            if (o == nullptr) {
                return nullptr;
            }
            cur = o->if_contains(k);
            if (cur == nullptr) {
                return nullptr;
            }
        }
    }
    return cur;
}

void append_double(std::string& out, double d) {
    std::array<char, 32> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
    out.append(buf.data(), res.ptr);
}

// Stringification: strings raw; integers and doubles as their shortest decimal text; true,
// false, null as JSON keywords; objects as compact JSON; arrays AWS-style "[item1, item2]"
// with each item stringified by these same rules (so strings inside arrays are unquoted).
void append_value(std::string& out, const json::value& v) {
    switch (v.kind()) {
        case json::kind::string:
            out.append(v.get_string().data(), v.get_string().size());
            break;
        case json::kind::int64:
            out += std::to_string(v.get_int64());
            break;
        case json::kind::uint64:
            out += std::to_string(v.get_uint64());
            break;
        case json::kind::double_:
            append_double(out, v.get_double());
            break;
        case json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            break;
        case json::kind::null:
            out += "null";
            break;
        case json::kind::object:
            out += json::serialize(v);
            break;
        case json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v.get_array()) {
                if (!first) {
                    out += ", ";
                }
                first = false;
                append_value(out, item);
            }
            out += ']';
            break;
        }
    }
}

}  // namespace

result<route_selection_expression> route_selection_expression::parse(std::string_view text) {
    route_selection_expression expr;
    expr.text_.assign(text);
    std::string literal;
    auto flush_literal = [&] {
        if (!literal.empty()) {
            part p;
            p.literal = std::move(literal);
            expr.parts_.push_back(std::move(p));
            literal.clear();
        }
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
            literal += '$';
            i += 2;
            continue;
        }
        if (c != '$') {
            literal += c;
            ++i;
            continue;
        }
        part p;
        p.is_path = true;
        if (i + 1 < text.size() && text[i + 1] == '{') {
            const auto close = text.find('}', i + 2);
            if (close == std::string_view::npos) {
                return syntax_error(text, "unterminated '${'");
            }
            const auto inner = text.substr(i + 2, close - i - 2);
            if (inner.substr(0, body_prefix.size()) != body_prefix ||
                inner.size() <= body_prefix.size() + 1 || inner[body_prefix.size()] != '.') {
                return syntax_error(text, "only ${request.body.<path>} variables are supported");
            }
            if (!split_path(inner.substr(body_prefix.size() + 1), true, p.keys)) {
                return syntax_error(text, "bad JSON path");
            }
            i = close + 1;
        } else {
            const auto rest = text.substr(i + 1);
            if (rest.substr(0, body_prefix.size()) != body_prefix ||
                rest.size() <= body_prefix.size() + 1 || rest[body_prefix.size()] != '.') {
                return syntax_error(text,
                                    "only $request.body.<path> variables are supported (use \\$ "
                                    "for a literal '$')");
            }
            const auto tail = rest.substr(body_prefix.size() + 1);
            const auto len = unbraced_path_length(tail);
            if (!split_path(tail.substr(0, len), false, p.keys)) {
                return syntax_error(text, "bad JSON path");
            }
            i += 1 + body_prefix.size() + 1 + len;
        }
        flush_literal();
        expr.parts_.push_back(std::move(p));
    }
    flush_literal();
    return expr;
}

std::optional<std::string> route_selection_expression::evaluate(std::string_view body) const {
    if (!uses_body()) {
        return evaluate(json::value{});
    }
    std::array<unsigned char, 2048> scratch;  // NOLINT(*-member-init): scratch memory
    json::monotonic_resource mr(scratch.data(), scratch.size());
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec, &mr);
    if (ec) {
        return std::nullopt;
    }
    return evaluate(v);
}

std::string route_selection_expression::evaluate(const boost::json::value& body) const {
    std::string out;
    for (const auto& p : parts_) {
        if (!p.is_path) {
            out += p.literal;
        } else if (const auto* v = lookup(body, p.keys)) {
            append_value(out, *v);
        }
    }
    return out;
}

bool route_selection_expression::uses_body() const noexcept {
    for (const auto& p : parts_) {
        if (p.is_path) {
            return true;
        }
    }
    return false;
}

}  // namespace lift
