/// @file validation.hpp
/// Request validation as middleware: per route, a maximum body size and a JSON Schema. A
/// failing message is answered with one error frame naming the failing path and the handler is
/// not called:
/// `{"message":"Invalid request body","path":"/items/2/qty","reason":"must be >= 1",
///   "connectionId":…,"requestId":…}`
///
///     lift::protect::request_validator v;
///     v.add("order", R"({"type":"object","required":["items"]})", 16 * 1024).value();
///     app.use(v.middleware());
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <lift/core/context.hpp>
#include <lift/core/middleware.hpp>
#include <lift/core/result.hpp>
#include <lift/protect/json_schema.hpp>

namespace lift::protect {

/// The checks of one route.
struct route_rules {
    std::optional<json_schema> schema;  ///< the body must match it (nullopt = any body)
    std::size_t max_body_bytes = 0;     ///< larger bodies are rejected (0 = the default limit)
};

/// Why a message was refused.
struct validation_failure {
    int status = 400;       ///< 400 (schema, not JSON) or 413 (too large)
    std::string message;    ///< "Invalid request body" or "Request body too large"
    std::string path;       ///< JSON pointer of the failing value (empty for size failures)
    std::string reason;     ///< what is wrong
    std::size_t limit = 0;  ///< the byte limit (size failures only)
};

/// Validates message bodies per route key. Configure it before serving (not thread-safe while
/// being configured); afterwards `check` and the middleware are thread-safe (read only). The
/// middleware holds a copy of the configuration taken when `middleware()` is called.
///
/// Only MESSAGE events are checked (`$connect`/`$disconnect` have no body). Routes without
/// rules pass unless `default_max_body_bytes` is set. A route with a schema requires a body
/// that parses as JSON (an empty body does not).
class request_validator {
public:
    /// Sets `rules` for `route_key` (replacing earlier ones).
    request_validator& set(std::string route_key, route_rules rules);

    /// Compiles `schema_json` and sets it, with `max_body_bytes` (0 = default), for
    /// `route_key`. Errors: those of `json_schema::compile`, prefixed with the route key.
    [[nodiscard]] result<void> add(std::string route_key,
                                   std::string_view schema_json,
                                   std::size_t max_body_bytes = 0);

    /// Size limit for routes whose rules give none (and routes without rules); 0 = none.
    request_validator& default_max_body_bytes(std::size_t bytes) noexcept {
        default_max_body_bytes_ = bytes;
        return *this;
    }

    /// Checks the event in `ctx`: nullopt when it passes. Uses `ctx.json_body()` (parsed once).
    [[nodiscard]] std::optional<validation_failure> check(context& ctx) const;

    /// The middleware: `check`, then `next(ctx)` or a rejection through `reject`
    /// (rejection.hpp) with status 400/413 and the frame
    /// `{"message", "path", "reason", "connectionId", "requestId"}` (size failures carry
    /// `"limit"`, the byte limit, instead of `path`).
    [[nodiscard]] lift::middleware middleware() const;

private:
    std::map<std::string, route_rules, std::less<>> routes_;
    std::size_t default_max_body_bytes_ = 0;
};

}  // namespace lift::protect
