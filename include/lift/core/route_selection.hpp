/// @file route_selection.hpp
/// API Gateway's route selection expression (`$request.body.action`,
/// `${request.body.service}/${request.body.action}`, static text, `\$` escapes).
///
///     auto expr = lift::route_selection_expression::parse("$request.body.action").value();
///     auto key = expr.evaluate(R"({"action":"join"})");   // "join"
///     auto none = expr.evaluate("not json");              // nullopt -> $default
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include <lift/core/result.hpp>

namespace lift {

/// A parsed route selection expression. Immutable after parse; thread-safe.
class route_selection_expression {
public:
    /// The default used by Lift and by most AWS templates: `$request.body.action`.
    static constexpr std::string_view default_text = "$request.body.action";

    /// Parses `text`. Supported variables: `$request.body.<path>` and `${request.body.<path>}`
    /// where path is dot-separated names with optional `[n]` indexes; static text around them;
    /// `\$` for a literal `$`. Fails with `errc::invalid_argument` for other variables
    /// (e.g. `$request.header.x`, which AWS does not allow for WebSocket routes) or bad syntax.
    [[nodiscard]] static result<route_selection_expression> parse(std::string_view text);

    /// Evaluates against a message body. Returns nullopt when the body is not JSON (AWS then
    /// uses `$default`). A path that is not found yields ""; a string yields its characters;
    /// numbers, booleans and null their JSON text; objects compact JSON; arrays AWS's
    /// documented form `[item1, item2]` (items stringified by these rules, ", " between).
    std::optional<std::string> evaluate(std::string_view body) const;

    /// Same as the `string_view` overload; without it a string literal would be ambiguous
    /// (boost::json::value is constructible from `const char*` too).
    std::optional<std::string> evaluate(const char* body) const {
        return evaluate(std::string_view{body});
    }

    /// Evaluates against an already parsed body.
    std::string evaluate(const boost::json::value& body) const;

    /// True when the expression references the body (so the body must be parsed).
    bool uses_body() const noexcept;

    /// The expression as given to `parse`.
    const std::string& text() const noexcept { return text_; }

private:
    struct part {
        bool is_path = false;
        std::string literal;            // when !is_path
        std::vector<std::string> keys;  // when is_path: names or "[n]" indexes
    };

    std::string text_;
    std::vector<part> parts_;
};

}  // namespace lift
