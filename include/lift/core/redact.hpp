/// @file redact.hpp
/// Keeps tokens and secrets out of logs. Lift's own logging of events goes through these
/// helpers; applications use them before logging anything that came from a client.
///
///     auto safe = lift::redact_headers(*ctx.event().headers);   // Authorization → [REDACTED]
///     ctx.log().debug("event", {{"query", lift::redact_query_string("a=1&token=abc")}});
///     if (lift::is_sensitive_name(key)) { /* do not log the value */ }
///
/// Every function here is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include <lift/core/event.hpp>

namespace lift {

/// What replaces a secret value.
inline constexpr std::string_view redacted = "[REDACTED]";

/// True for headers whose value is a credential (case-insensitive): `Authorization`,
/// `Proxy-Authorization`, `Sec-WebSocket-Protocol` (often carries a token), `Cookie`,
/// `Set-Cookie`, `X-Amz-Security-Token`, `X-Api-Key`. Thread-safe.
bool is_sensitive_header(std::string_view name) noexcept;

/// True for query parameters whose value is a credential (case-insensitive): `token`,
/// `access_token`, `id_token`, `refresh_token`, `api_key`, `apikey`, `key`, `password`,
/// `secret`, `client_secret`, `signature`, `X-Amz-Security-Token`, `X-Amz-Signature`,
/// `X-Amz-Credential`. Thread-safe.
bool is_sensitive_query_parameter(std::string_view name) noexcept;

/// True when `name` is a sensitive header or query parameter name, or contains (any case)
/// "token", "secret", "password", "authorization" or "cookie". The logger redacts extra fields
/// with such keys. Thread-safe.
bool is_sensitive_name(std::string_view name) noexcept;

/// A copy of `headers` with the values of sensitive headers replaced by `redacted`.
string_map redact_headers(const string_map& headers);

/// A copy of `headers` with the values of sensitive headers replaced by `redacted`.
multi_string_map redact_headers(const multi_string_map& headers);

/// A copy of `query` with the values of sensitive parameters replaced by `redacted`.
string_map redact_query(const string_map& query);

/// A copy of `query` with the values of sensitive parameters replaced by `redacted`.
multi_string_map redact_query(const multi_string_map& query);

/// A raw query string (`a=1&token=x`, no leading `?`) or a request target (`/dev?token=x`)
/// with the values of sensitive parameters (names compared after percent-decoding) replaced by
/// `redacted`.
std::string redact_query_string(std::string_view text);

/// `text` with credential-shaped substrings replaced by `redacted`: the token after `Bearer `
/// or `Basic ` (any case) and JSON Web Tokens (three base64url segments, the first starting
/// with `eyJ`). The logger applies it to every message and string field. Thread-safe.
std::string redact_text(std::string_view text);

/// True when `redact_text` would change `text` (cheap pre-check).
bool has_credential_shape(std::string_view text) noexcept;

/// A loggable summary of `ev`: event type, route key, connection id, request id, source IP,
/// body size, and the headers and query parameters with sensitive values redacted (the body
/// itself is left out: it may carry anything).
boost::json::object event_summary(const websocket_event& ev);

}  // namespace lift
