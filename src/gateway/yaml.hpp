// A YAML subset parser for SAM/CloudFormation templates (no YAML library is among our Debian
// dependencies). Private to lift::gateway.
//
// Supported: one document (optional `---`, `...`, `%` directives skipped), block mappings and
// sequences, flow mappings and sequences, plain / single-quoted / double-quoted scalars
// (escapes, line folding), literal `|` and folded `>` block scalars with chomping and indentation
// indicators, comments, and CloudFormation short-form tags: `!Ref X` → {"Ref": "X"},
// `!Condition X` → {"Condition": "X"}, `!GetAtt A.B` → {"Fn::GetAtt": ["A", "B"]}, any other
// `!Name v` → {"Fn::Name": v}; `!!str` forces a string. Plain scalars follow the YAML 1.2 core
// schema (null, booleans, integers, floats). Anchors, aliases, complex keys (`?`) and multiple
// documents are rejected. Errors are `errc::parse_error` with a message "LINE:COLUMN: reason"
// (1-based).
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include <lift/core/result.hpp>

namespace lift::gateway::detail {

/// Parses one YAML document into JSON. Thread-safe (no shared state).
[[nodiscard]] result<boost::json::value> parse_yaml(std::string_view text);

}  // namespace lift::gateway::detail
