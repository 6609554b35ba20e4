// Pure helpers for request targets: the `@connections` path forms API Gateway accepts, query
// strings, percent-decoding and static file paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <lift/core/event.hpp>

namespace lift::gateway::detail {

/// Decodes %XX escapes (invalid escapes are kept as-is); '+' stays '+'.
std::string percent_decode(std::string_view s);

/// Splits "path?query" into its parts.
struct target_parts {
    std::string_view path;
    std::string_view query;  ///< without '?'; empty when none
    bool has_query = false;  ///< true when a '?' was present
};

target_parts split_target(std::string_view target) noexcept;

/// When `path` is `/{stage}/@connections/{id}` or `/@connections/{id}` (`@` may be `%40`),
/// returns the decoded connection id (may be empty when the path ends in '/').
std::optional<std::string> connections_id(std::string_view path, std::string_view stage);

/// Parses a query string into single- and multi-value maps (values percent-decoded; the last
/// value wins in the single map, as API Gateway does).
void parse_query(std::string_view query, string_map& single, multi_string_map& multi);

/// Maps a URL path to a relative file path under a static root; nullopt for paths that try to
/// leave the root or contain NUL. "/" → "index.html".
std::optional<std::string> static_relative_path(std::string_view path);

/// A Content-Type for a file name by extension.
std::string_view content_type_for(std::string_view name) noexcept;

}  // namespace lift::gateway::detail
