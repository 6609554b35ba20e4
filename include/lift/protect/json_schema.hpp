/// @file json_schema.hpp
/// A compiled JSON Schema (a subset of draft 2020-12 / draft 7): `type` (a name or an array of
/// names; `integer` accepts 1.0), `properties`, `required`, `additionalProperties` (bool or
/// schema), `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`
/// (numeric form), `minLength`/`maxLength` (Unicode code points), `pattern` (ECMAScript,
/// NOT anchored: it matches anywhere unless written with `^…$`, as JSON Schema says), `items`
/// (one schema for every element), `minItems`, `maxItems`, and boolean schemas. Annotations
/// (`$schema`, `$id`, `$comment`, `title`, `description`, `default`, `examples`) are ignored;
/// any other keyword is an error at compile time, so a schema never silently checks less than
/// it says.
///
///     auto schema = lift::protect::json_schema::compile(R"({"type":"object","required":["id"]})");
///     auto bad = schema.value().validate(boost::json::parse(R"({"x":1})"));
///     // bad->path == "/id", bad->reason == "is required"
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include <lift/core/result.hpp>

namespace lift::protect {

/// Why an instance does not match: where and what.
struct schema_violation {
    /// JSON pointer (RFC 6901) of the failing value: "" is the whole document, `/items/2/qty`
    /// the `qty` member of the third element of `items`. For a missing required member it
    /// points at the member that should be there.
    std::string path;
    /// What is wrong, e.g. "must be >= 1", "is required", "must be of type integer".
    std::string reason;
};

/// An immutable compiled schema. Copies share the compiled form. Thread-safe (const only).
class json_schema {
public:
    /// Compiles `schema`. Errors (`errc::invalid_argument`) name the keyword and the schema
    /// location (a JSON pointer into the schema), e.g. "unsupported keyword 'oneOf' at
    /// /properties/a", "'minimum' must be a number at /properties/qty", "'pattern' at /: bad
    /// regular expression: …".
    [[nodiscard]] static result<json_schema> compile(const boost::json::value& schema);

    /// Parses `schema_json` and compiles it; a parse failure is `errc::parse_error`.
    [[nodiscard]] static result<json_schema> compile(std::string_view schema_json);

    /// Same as the `string_view` overload (a string literal is JSON text, not a JSON string).
    [[nodiscard]] static result<json_schema> compile(const char* schema_json) {
        return compile(std::string_view{schema_json});
    }

    /// Checks `instance`; nullopt when it matches, else the first violation in document order
    /// (type first, then the value's own keywords, then members/elements in order).
    [[nodiscard]] std::optional<schema_violation> validate(
        const boost::json::value& instance) const;

    struct node;  ///< compiled form (defined in the .cpp)

private:
    explicit json_schema(std::shared_ptr<const node> root) : root_(std::move(root)) {}

    std::shared_ptr<const node> root_;
};

/// Appends `token` to `pointer` as one JSON pointer reference token (`~` → `~0`, `/` → `~1`).
/// Pure.
void append_pointer_token(std::string& pointer, std::string_view token);

/// Number of Unicode code points in UTF-8 `s` (bytes that are not continuation bytes). Pure.
[[nodiscard]] std::size_t utf8_length(std::string_view s) noexcept;

}  // namespace lift::protect
