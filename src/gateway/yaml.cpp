// The YAML subset parser (see yaml.hpp). A recursive-descent parser over the whole text with one
// position; block structure is decided by columns. A syntax error is thrown as a private
// exception and turned into a `lift::result` at the single boundary, parse_yaml(): threading a
// result through every level of the recursion would hide the grammar.
#include "yaml.hpp"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace lift::gateway::detail {
namespace {

namespace json = boost::json;

constexpr int max_depth = 200;

struct syntax_error {
    std::size_t pos;
    std::string message;
};

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool is_flow_indicator(char c) {
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// YAML 1.2 core schema for plain scalars.
json::value resolve_plain(const std::string& t) {
    if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") {
        return nullptr;
    }
    if (t == "true" || t == "True" || t == "TRUE") {
        return true;
    }
    if (t == "false" || t == "False" || t == "FALSE") {
        return false;
    }
    auto all = [&](std::size_t from, auto pred) {
        if (from >= t.size()) {
            return false;
        }
        for (std::size_t i = from; i < t.size(); ++i) {
            if (!pred(t[i])) {
                return false;
            }
        }
        return true;
    };
    const std::size_t sign = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    errno = 0;
    if (all(sign, is_digit)) {
        char* end = nullptr;
        const long long v = std::strtoll(t.c_str(), &end, 10);
        if (errno == 0) {
            return static_cast<std::int64_t>(v);
        }
        return json::string_view(t);  // out of range: keep the text
    }
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'x')) {
        const bool hex = t[1] == 'x';
        const bool ok = all(2, [&](char c) {
            return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
        });
        if (ok) {
            const long long v = std::strtoll(t.c_str() + 2, nullptr, hex ? 16 : 8);
            if (errno == 0) {
                return static_cast<std::int64_t>(v);
            }
            return json::string_view(t);
        }
    }
    // [-+]? ( . digits | digits [. digits*] ) ( [eE] [-+]? digits )?
    std::size_t i = sign;
    std::size_t digits = 0;
    while (i < t.size() && is_digit(t[i])) {
        ++i;
        ++digits;
    }
    bool dot = false;
    if (i < t.size() && t[i] == '.') {
        dot = true;
        ++i;
        while (i < t.size() && is_digit(t[i])) {
            ++i;
            ++digits;
        }
    }
    bool exp = false;
    if (digits > 0 && i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < t.size() && (t[j] == '-' || t[j] == '+')) {
            ++j;
        }
        std::size_t ed = 0;
        while (j < t.size() && is_digit(t[j])) {
            ++j;
            ++ed;
        }
        if (ed > 0) {
            exp = true;
            i = j;
        }
    }
    if (digits > 0 && (dot || exp) && i == t.size()) {
        return std::strtod(t.c_str(), nullptr);
    }
    return json::string_view(t);
}

class parser {
public:
    explicit parser(std::string_view text) : s_(text) {}

    json::value parse_document() {
        skip_to_content();
        while (!eof() && column(pos_) == 0 && peek() == '%') {  // directives: %YAML, %TAG
            skip_line();
            skip_to_content();
        }
        json::value v;
        if (at_doc_marker("---")) {
            pos_ += 3;
            skip_blanks();
            v = at_line_end() ? parse_block_value(-1, false) : parse_node(-1, false);
        } else {
            v = parse_block_value(-1, false);
        }
        skip_to_content();
        if (at_doc_marker("...")) {
            pos_ += 3;
            skip_to_content();
        }
        if (!eof()) {
            if (at_doc_marker("---")) {
                fail("more than one YAML document; a template is a single document");
            }
            fail("unexpected content (check the indentation)");
        }
        return v;
    }

    std::pair<std::size_t, std::size_t> line_column(std::size_t pos) const {
        std::size_t line = 1;
        std::size_t start = 0;
        for (std::size_t i = 0; i < pos && i < s_.size(); ++i) {
            if (s_[i] == '\n') {
                ++line;
                start = i + 1;
            }
        }
        return {line, pos - start + 1};
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
    int depth_ = 0;

    struct depth_guard {
        parser& p;

        explicit depth_guard(parser& owner) : p(owner) {
            if (++p.depth_ > max_depth) {
                p.fail("nesting is too deep");
            }
        }

        ~depth_guard() { --p.depth_; }

        depth_guard(const depth_guard&) = delete;
        depth_guard& operator=(const depth_guard&) = delete;
    };

    [[noreturn]] void fail(std::string message) const { fail_at(pos_, std::move(message)); }

    [[noreturn]] static void fail_at(std::size_t pos, std::string message) {
        throw syntax_error{pos, std::move(message)};
    }

    bool eof() const { return pos_ >= s_.size(); }

    char peek(std::size_t off = 0) const { return pos_ + off < s_.size() ? s_[pos_ + off] : '\0'; }

    char at(std::size_t p) const { return p < s_.size() ? s_[p] : '\0'; }

    bool blank_or_break(std::size_t p) const {
        return p >= s_.size() || s_[p] == '\n' || is_blank(s_[p]);
    }

    int column(std::size_t p) const {
        std::size_t start = p;
        while (start > 0 && s_[start - 1] != '\n') {
            --start;
        }
        return static_cast<int>(p - start);
    }

    // Column of the content at pos_, which starts a block line; tabs may not indent.
    int content_column() const {
        const int c = column(pos_);
        for (std::size_t p = pos_ - static_cast<std::size_t>(c); p < pos_; ++p) {
            if (s_[p] == '\t') {
                fail_at(p, "tab character used for indentation (indent with spaces)");
            }
        }
        return c;
    }

    bool at_doc_marker(std::string_view marker) const {
        return column(pos_) == 0 && s_.substr(pos_, 3) == marker && blank_or_break(pos_ + 3);
    }

    bool at_any_doc_marker() const { return at_doc_marker("---") || at_doc_marker("..."); }

    void skip_blanks() {
        while (!eof() && is_blank(peek())) {
            ++pos_;
        }
    }

    void skip_line() {
        while (!eof() && peek() != '\n') {
            ++pos_;
        }
    }

    bool is_comment_start(std::size_t p) const {
        return at(p) == '#' && (p == 0 || is_blank(s_[p - 1]) || s_[p - 1] == '\n');
    }

    // After skipping blanks: end of input, a line break or a comment.
    bool at_line_end() {
        skip_blanks();
        return eof() || peek() == '\n' || is_comment_start(pos_);
    }

    void expect_line_end(const char* what) {
        if (!at_line_end()) {
            fail(fmt::format("unexpected text after {}", what));
        }
    }

    // Skips blanks, comments and line breaks up to the next content (or the end).
    void skip_to_content() {
        for (;;) {
            skip_blanks();
            if (eof()) {
                return;
            }
            if (is_comment_start(pos_)) {
                skip_line();
                continue;
            }
            if (peek() == '\n') {
                ++pos_;
                continue;
            }
            return;
        }
    }

    bool is_seq_entry() const { return peek() == '-' && blank_or_break(pos_ + 1); }

    // Whether the current line holds an implicit mapping key ("key: ...").
    bool is_key_line() const {
        std::size_t p = pos_;
        const char q = at(p);
        if (q == '"' || q == '\'') {
            ++p;
            for (; p < s_.size() && s_[p] != '\n'; ++p) {
                if (q == '"' && s_[p] == '\\') {
                    ++p;
                } else if (s_[p] == q) {
                    if (q == '\'' && at(p + 1) == '\'') {
                        ++p;
                        continue;
                    }
                    break;
                }
            }
            if (at(p) != q) {
                return false;
            }
            ++p;
            while (is_blank(at(p))) {
                ++p;
            }
            return at(p) == ':' && blank_or_break(p + 1);
        }
        if (q == '[' || q == '{') {
            return false;
        }
        for (; p < s_.size() && s_[p] != '\n'; ++p) {
            if (s_[p] == ':' && blank_or_break(p + 1)) {
                return true;
            }
            if (p > pos_ && is_comment_start(p)) {
                return false;
            }
        }
        return false;
    }

    json::value parse_block_value(int parent_indent, bool seq_at_same_indent) {
        skip_to_content();
        if (eof() || at_any_doc_marker()) {
            return nullptr;
        }
        const int c = content_column();
        if (c > parent_indent) {
            return parse_node(parent_indent, true);
        }
        if (seq_at_same_indent && c == parent_indent && is_seq_entry()) {
            return parse_block_seq(c);
        }
        return nullptr;
    }

    // A node starting at pos_. `block`: a block mapping or sequence may start here (the node
    // is at the start of its line or after "- ").
    json::value parse_node(int parent_indent, bool block) {
        const depth_guard guard(*this);
        const char c = peek();
        const std::size_t start = pos_;
        if (c == '!') {
            std::string tag = read_tag(false);
            skip_blanks();
            json::value inner = at_line_end() ? parse_block_value(parent_indent, false)
                                              : parse_node(parent_indent, block);
            return apply_tag(tag, std::move(inner), start);
        }
        check_unsupported_indicator();
        if (block && is_seq_entry()) {
            return parse_block_seq(column(pos_));
        }
        if (block && is_key_line()) {
            return parse_block_map(content_column());
        }
        if (c == '|' || c == '>') {
            return parse_block_scalar(parent_indent);
        }
        if (c == '[' || c == '{') {
            json::value v = parse_flow_node();
            if (block && at_line_end() == false && peek() == ':') {
                fail("flow collections as mapping keys are not supported");
            }
            expect_line_end(c == '[' ? "a flow sequence" : "a flow mapping");
            return v;
        }
        if (c == '"' || c == '\'') {
            std::string v = c == '"' ? parse_double_quoted() : parse_single_quoted();
            expect_line_end("a quoted scalar");
            return json::value(std::move(v));
        }
        return parse_plain_block(parent_indent);
    }

    void check_unsupported_indicator() const {
        const char c = peek();
        if (c == '&') {
            fail("anchors (&name) are not supported in templates");
        }
        if (c == '*') {
            fail("aliases (*name) are not supported in templates");
        }
        if (c == '?' && blank_or_break(pos_ + 1)) {
            fail("complex mapping keys ('? ') are not supported");
        }
        if (c == '%' || c == '@' || c == '`') {
            fail(fmt::format("'{}' is reserved and cannot start a plain scalar (quote it)", c));
        }
    }

    std::string read_tag(bool flow) {
        const std::size_t start = pos_;
        ++pos_;
        while (!eof() && !blank_or_break(pos_) && !(flow && is_flow_indicator(peek()))) {
            ++pos_;
        }
        std::string tag(s_.substr(start, pos_ - start));
        if (tag == "!" || tag.rfind("!<", 0) == 0) {
            fail_at(start, fmt::format("unsupported tag '{}'", tag));
        }
        return tag;
    }

    json::value apply_tag(const std::string& tag, json::value inner, std::size_t pos) const {
        if (tag == "!!str") {
            if (inner.is_string()) {
                return inner;
            }
            if (inner.is_null()) {
                return "";
            }
            if (inner.is_object() || inner.is_array()) {
                fail_at(pos, "!!str needs a scalar");
            }
            return json::value(json::serialize(inner));
        }
        if (tag.rfind("!!", 0) == 0) {
            fail_at(pos, fmt::format("unsupported tag '{}'", tag));
        }
        const std::string name = tag.substr(1);
        for (const char ch : name) {
            if (!std::isalnum(static_cast<unsigned char>(ch))) {
                fail_at(pos, fmt::format("unsupported tag '{}'", tag));
            }
        }
        if (inner.is_null()) {
            inner = "";
        }
        json::object out;
        if (name == "Ref" || name == "Condition") {
            out[name] = std::move(inner);
        } else if (name == "GetAtt" && inner.is_string()) {
            const std::string s(inner.as_string());
            const auto dot = s.find('.');
            if (dot == std::string::npos || dot == 0 || dot + 1 == s.size()) {
                fail_at(pos, fmt::format("!GetAtt needs 'Resource.Attribute', got '{}'", s));
            }
            out["Fn::GetAtt"] =
                json::array{json::value(s.substr(0, dot)), json::value(s.substr(dot + 1))};
        } else {
            out["Fn::" + name] = std::move(inner);
        }
        return out;
    }

    json::value parse_block_map(int col) {
        json::object obj;
        for (;;) {
            const std::size_t key_pos = pos_;
            const char c = peek();
            if (c == '!' || c == '&' || c == '*') {
                fail("tags, anchors and aliases on mapping keys are not supported");
            }
            check_unsupported_indicator();
            std::string key;
            if (c == '"') {
                key = parse_double_quoted();
            } else if (c == '\'') {
                key = parse_single_quoted();
            } else {
                const std::size_t start = pos_;
                while (!eof() && !(peek() == ':' && blank_or_break(pos_ + 1))) {
                    ++pos_;
                }
                std::size_t end = pos_;
                while (end > start && is_blank(s_[end - 1])) {
                    --end;
                }
                key.assign(s_.substr(start, end - start));
            }
            skip_blanks();
            if (peek() != ':') {
                fail("expected ':' after the mapping key");
            }
            ++pos_;
            if (obj.contains(key)) {
                fail_at(key_pos, fmt::format("duplicate mapping key '{}'", key));
            }
            json::value v = at_line_end() ? parse_block_value(col, true) : parse_node(col, false);
            obj.emplace(key, std::move(v));
            skip_to_content();
            if (eof() || at_any_doc_marker()) {
                break;
            }
            const int c2 = content_column();
            if (c2 < col) {
                break;
            }
            if (c2 > col) {
                fail(fmt::format(
                    "unexpected indentation (the keys of this mapping are at column {})", col + 1));
            }
            if (is_seq_entry()) {
                fail("expected a mapping key, found a sequence entry ('- ')");
            }
            if (!is_key_line()) {
                fail("expected a mapping key ('key: value')");
            }
        }
        return obj;
    }

    json::value parse_block_seq(int col) {
        json::array arr;
        for (;;) {
            ++pos_;  // '-'
            arr.push_back(at_line_end() ? parse_block_value(col, false) : parse_node(col, true));
            skip_to_content();
            if (eof() || at_any_doc_marker()) {
                break;
            }
            const int c = content_column();
            if (c < col) {
                break;
            }
            if (c > col) {
                fail(fmt::format(
                    "unexpected indentation (the entries of this sequence are at column {})",
                    col + 1));
            }
            if (!is_seq_entry()) {
                break;  // e.g. the next key of a mapping whose value this sequence is
            }
        }
        return arr;
    }

    // One line of a plain scalar from pos_; leaves pos_ at the line break, comment or (in flow
    // context) the indicator that ends it.
    std::string read_plain_line(bool flow) {
        const std::size_t start = pos_;
        std::size_t p = pos_;
        while (p < s_.size()) {
            const char ch = s_[p];
            if (ch == '\n' || (p > start && is_comment_start(p))) {
                break;
            }
            if (ch == ':' && (blank_or_break(p + 1) || (flow && is_flow_indicator(at(p + 1))))) {
                if (!flow) {
                    fail_at(p,
                            "mapping values are not allowed here (quote the scalar if ': ' is "
                            "part of it)");
                }
                break;
            }
            if (flow && is_flow_indicator(ch)) {
                break;
            }
            ++p;
        }
        std::size_t end = p;
        while (end > start && is_blank(s_[end - 1])) {
            --end;
        }
        pos_ = p;
        return std::string(s_.substr(start, end - start));
    }

    void check_plain_start(bool flow) const {
        const char c = peek();
        if (is_flow_indicator(c)) {
            fail(fmt::format("unexpected '{}'", c));
        }
        if ((c == '-' || c == ':' || c == '?') && blank_or_break(pos_ + 1) && !flow) {
            fail(fmt::format("unexpected '{}'", c));
        }
        if (c == '#') {
            fail("unexpected comment");
        }
    }

    json::value parse_plain_block(int parent_indent) {
        check_plain_start(false);
        std::string text = read_plain_line(false);
        for (;;) {
            if (peek() != '\n') {
                break;  // end of input or a comment, which ends a plain scalar
            }
            std::size_t p = pos_;
            std::size_t breaks = 0;
            while (at(p) == '\n') {
                ++p;
                ++breaks;
                while (is_blank(at(p))) {
                    ++p;
                }
            }
            if (p >= s_.size() || is_comment_start(p) || column(p) <= parent_indent) {
                break;
            }
            const std::size_t saved = pos_;
            pos_ = p;
            if (at_any_doc_marker()) {
                pos_ = saved;
                break;
            }
            text += breaks == 1 ? std::string(" ") : std::string(breaks - 1, '\n');
            text += read_plain_line(false);
        }
        return resolve_plain(text);
    }

    // Folds a line break inside a quoted scalar: trailing blanks of `out` beyond `keep` go, one
    // break becomes a space, n breaks become n - 1 newlines.
    void fold_quoted_break(std::string& out, std::size_t keep) {
        while (out.size() > keep && is_blank(out.back())) {
            out.pop_back();
        }
        std::size_t breaks = 0;
        while (peek() == '\n') {
            ++pos_;
            ++breaks;
            skip_blanks();
        }
        out += breaks == 1 ? std::string(" ") : std::string(breaks - 1, '\n');
    }

    std::uint32_t read_hex(std::size_t n) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const char c = peek();
            if (!std::isxdigit(static_cast<unsigned char>(c))) {
                fail("invalid hexadecimal digit in escape");
            }
            v = v * 16 +
                static_cast<std::uint32_t>(is_digit(c) ? c - '0' : (std::tolower(c) - 'a' + 10));
            ++pos_;
        }
        return v;
    }

    std::string parse_double_quoted() {
        const std::size_t start = pos_;
        ++pos_;
        std::string out;
        std::size_t keep = 0;  // escaped characters must survive folding
        for (;;) {
            if (eof()) {
                fail_at(start, "unterminated double-quoted scalar");
            }
            const char c = peek();
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == '\n') {
                fold_quoted_break(out, keep);
                continue;
            }
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            const std::size_t esc = pos_;
            ++pos_;
            const char e = peek();
            ++pos_;
            switch (e) {
                case '0':
                    out += '\0';
                    break;
                case 'a':
                    out += '\a';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 't':
                case '\t':
                    out += '\t';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'v':
                    out += '\v';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 'e':
                    out += '\x1b';
                    break;
                case ' ':
                    out += ' ';
                    break;
                case '"':
                    out += '"';
                    break;
                case '/':
                    out += '/';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case 'N':
                    append_utf8(out, 0x85);
                    break;
                case '_':
                    append_utf8(out, 0xA0);
                    break;
                case 'L':
                    append_utf8(out, 0x2028);
                    break;
                case 'P':
                    append_utf8(out, 0x2029);
                    break;
                case 'x':
                    append_utf8(out, read_hex(2));
                    break;
                case 'U': {
                    const std::uint32_t cp = read_hex(8);
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        fail_at(esc, "invalid code point in \\U escape");
                    }
                    append_utf8(out, cp);
                    break;
                }
                case 'u': {
                    std::uint32_t cp = read_hex(4);
                    if (cp >= 0xD800 && cp <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
                        pos_ += 2;
                        const std::uint32_t lo = read_hex(4);
                        if (lo < 0xDC00 || lo > 0xDFFF) {
                            fail_at(esc, "invalid surrogate pair in \\u escape");
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                        fail_at(esc, "lone surrogate in \\u escape");
                    }
                    append_utf8(out, cp);
                    break;
                }
                case '\n':  // escaped line break: joins the lines without a space
                    skip_blanks();
                    break;
                default:
                    fail_at(esc, e == '\0' ? std::string("unterminated double-quoted scalar")
                                           : fmt::format("unknown escape '\\{}'", e));
            }
            keep = out.size();
        }
    }

    std::string parse_single_quoted() {
        const std::size_t start = pos_;
        ++pos_;
        std::string out;
        std::size_t keep = 0;
        for (;;) {
            if (eof()) {
                fail_at(start, "unterminated single-quoted scalar");
            }
            const char c = peek();
            if (c == '\'') {
                if (peek(1) == '\'') {
                    out += '\'';
                    pos_ += 2;
                    keep = out.size();
                    continue;
                }
                ++pos_;
                return out;
            }
            if (c == '\n') {
                fold_quoted_break(out, keep);
                continue;
            }
            out += c;
            ++pos_;
        }
    }

    json::value parse_block_scalar(int parent_indent) {
        const bool literal = peek() == '|';
        ++pos_;
        enum class chomping { clip, strip, keep } chomp = chomping::clip;
        int explicit_indent = 0;
        for (int i = 0; i < 2; ++i) {
            const char c = peek();
            if (c == '-' || c == '+') {
                chomp = c == '-' ? chomping::strip : chomping::keep;
                ++pos_;
            } else if (c >= '1' && c <= '9') {
                explicit_indent = c - '0';
                ++pos_;
            } else if (c == '0') {
                fail("the indentation indicator of a block scalar must be 1-9");
            }
        }
        if (!at_line_end()) {
            fail("expected a line break after the block scalar header");
        }
        skip_line();
        std::size_t p = pos_ < s_.size() ? pos_ + 1 : pos_;

        auto leading_spaces = [&](std::size_t from) {
            std::size_t q = from;
            while (at(q) == ' ') {
                ++q;
            }
            return q - from;
        };
        auto is_blank_line = [&](std::size_t from) {
            std::size_t q = from;
            while (is_blank(at(q))) {
                ++q;
            }
            return q >= s_.size() || s_[q] == '\n';
        };
        const int base = parent_indent < 0 ? 0 : parent_indent;
        std::size_t indent = 0;
        if (explicit_indent > 0) {
            indent = static_cast<std::size_t>(base + explicit_indent);
        } else {
            std::size_t q = p;
            while (q < s_.size() && is_blank_line(q)) {
                while (q < s_.size() && s_[q] != '\n') {
                    ++q;
                }
                ++q;
            }
            indent = q < s_.size() ? leading_spaces(q) : SIZE_MAX;
            if (q < s_.size() && static_cast<int>(indent) <= parent_indent) {
                indent = SIZE_MAX;  // no content lines: the next line belongs to the parent
            }
        }
        std::vector<std::string> lines;
        while (p < s_.size()) {
            std::size_t end = p;
            while (end < s_.size() && s_[end] != '\n') {
                ++end;
            }
            const std::size_t sp = leading_spaces(p);
            if (is_blank_line(p)) {
                lines.emplace_back(indent != SIZE_MAX && sp > indent
                                       ? s_.substr(p + indent, end - p - indent)
                                       : std::string_view{});
            } else if (sp < indent || indent == SIZE_MAX) {
                break;
            } else {
                if (indent == 0 && (s_.substr(p, 3) == "---" || s_.substr(p, 3) == "...") &&
                    blank_or_break(p + 3)) {
                    break;
                }
                lines.emplace_back(s_.substr(p + indent, end - p - indent));
            }
            p = end < s_.size() ? end + 1 : end;
        }
        pos_ = p;

        std::size_t trailing = 0;
        while (!lines.empty() && lines.back().empty()) {
            lines.pop_back();
            ++trailing;
        }
        std::string out;
        if (lines.empty()) {
            return json::value(chomp == chomping::keep ? std::string(trailing, '\n') : out);
        }
        if (literal) {
            for (std::size_t i = 0; i < lines.size(); ++i) {
                if (i > 0) {
                    out += '\n';
                }
                out += lines[i];
            }
        } else {
            // Folding: a break between two "normal" lines is a space; empty lines between
            // them are newlines; lines starting with white space keep their breaks.
            auto more_indented = [](const std::string& l) {
                return !l.empty() && is_blank(l[0]);
            };
            std::size_t prev = SIZE_MAX;  // index of the previous non-empty line
            std::size_t empties = 0;
            for (std::size_t i = 0; i < lines.size(); ++i) {
                if (lines[i].empty()) {
                    ++empties;
                    continue;
                }
                if (prev == SIZE_MAX) {
                    out += std::string(empties, '\n');
                } else if (more_indented(lines[prev]) || more_indented(lines[i])) {
                    out += std::string(empties + 1, '\n');
                } else {
                    out += empties == 0 ? std::string(" ") : std::string(empties, '\n');
                }
                out += lines[i];
                prev = i;
                empties = 0;
            }
        }
        if (chomp == chomping::clip) {
            out += '\n';
        } else if (chomp == chomping::keep) {
            out += std::string(trailing + 1, '\n');
        }
        return json::value(std::move(out));
    }

    // Flow context: white space, line breaks and comments separate tokens.
    void skip_flow_space() {
        for (;;) {
            while (!eof() && (is_blank(peek()) || peek() == '\n')) {
                ++pos_;
            }
            if (is_comment_start(pos_)) {
                skip_line();
                continue;
            }
            return;
        }
    }

    json::value parse_flow_node() {
        const depth_guard guard(*this);
        skip_flow_space();
        const std::size_t start = pos_;
        const char c = peek();
        if (eof()) {
            fail("unexpected end of input in a flow collection");
        }
        if (c == '!') {
            std::string tag = read_tag(true);
            skip_flow_space();
            json::value inner;
            if (!(peek() == ',' || peek() == ']' || peek() == '}')) {
                inner = parse_flow_node();
            }
            return apply_tag(tag, std::move(inner), start);
        }
        check_unsupported_indicator();
        if (c == '[') {
            return parse_flow_seq();
        }
        if (c == '{') {
            return parse_flow_map();
        }
        if (c == '"') {
            return json::value(parse_double_quoted());
        }
        if (c == '\'') {
            return json::value(parse_single_quoted());
        }
        check_plain_start(true);
        return resolve_plain(read_plain_line(true));
    }

    json::value parse_flow_seq() {
        const std::size_t start = pos_;
        ++pos_;
        json::array arr;
        for (;;) {
            skip_flow_space();
            if (eof()) {
                fail_at(start, "unterminated flow sequence (missing ']')");
            }
            if (peek() == ']') {
                ++pos_;
                return arr;
            }
            arr.push_back(parse_flow_node());
            skip_flow_space();
            if (peek() == ':') {
                fail("single-pair mappings inside flow sequences are not supported");
            }
            if (peek() == ',') {
                ++pos_;
            } else if (peek() != ']') {
                if (eof()) {
                    fail_at(start, "unterminated flow sequence (missing ']')");
                }
                fail("expected ',' or ']' in a flow sequence");
            }
        }
    }

    json::value parse_flow_map() {
        const std::size_t start = pos_;
        ++pos_;
        json::object obj;
        for (;;) {
            skip_flow_space();
            if (eof()) {
                fail_at(start, "unterminated flow mapping (missing '}')");
            }
            if (peek() == '}') {
                ++pos_;
                return obj;
            }
            const std::size_t key_pos = pos_;
            const char c = peek();
            std::string key;
            if (c == '"') {
                key = parse_double_quoted();
            } else if (c == '\'') {
                key = parse_single_quoted();
            } else if (c == '[' || c == '{' || c == '!' || c == '&' || c == '*') {
                fail("only scalar mapping keys are supported");
            } else {
                check_plain_start(true);
                key = read_plain_line(true);
            }
            skip_flow_space();
            json::value v;
            if (peek() == ':') {
                ++pos_;
                skip_flow_space();
                if (!(peek() == ',' || peek() == '}')) {
                    v = parse_flow_node();
                }
            }
            if (obj.contains(key)) {
                fail_at(key_pos, fmt::format("duplicate mapping key '{}'", key));
            }
            obj.emplace(key, std::move(v));
            skip_flow_space();
            if (peek() == ',') {
                ++pos_;
            } else if (peek() != '}') {
                if (eof()) {
                    fail_at(start, "unterminated flow mapping (missing '}')");
                }
                fail("expected ',' or '}' in a flow mapping");
            }
        }
    }
};

}  // namespace

result<boost::json::value> parse_yaml(std::string_view text) {
    std::string normalized;
    normalized.reserve(text.size());
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;
        }
        normalized += text[i];
    }
    parser p(normalized);
    try {
        return p.parse_document();
    } catch (const syntax_error& e) {
        const auto [line, col] = p.line_column(e.pos);
        return fail(errc::parse_error, fmt::format("{}:{}: {}", line, col, e.message));
    }
}

}  // namespace lift::gateway::detail
