/// @file jwt_auth.hpp
/// `$connect` middleware that requires a valid JWT: takes the token from a query parameter,
/// the `Authorization: Bearer` header or `Sec-WebSocket-Protocol` (configurable order),
/// verifies it with a `jwt_verifier`, and fills `ctx.identity()` (subject, tenant, roles,
/// selected claims), which the app saves with the connection. Every failure answers the same
/// 401 and logs one warn line with the specific reason — never the token.
///
///     auto verifier = std::make_shared<const lift::auth::jwt_verifier>(std::move(v));
///     app.use(lift::auth::jwt_auth(verifier));
///     if (auto mw = lift::auth::jwt_auth_from_env().value()) app.use(std::move(*mw));
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include <lift/auth/jwt.hpp>
#include <lift/aws/config.hpp>
#include <lift/core/identity.hpp>
#include <lift/core/middleware.hpp>
#include <lift/core/result.hpp>

namespace lift::auth {

/// Where `jwt_auth` looks for the token.
enum class token_source {
    query = 1,             ///< query parameter `jwt_auth_options::query_parameter`
    authorization_header,  ///< `Authorization: Bearer <token>` (scheme case-insensitive)
    subprotocol,           ///< `Sec-WebSocket-Protocol: <marker>, <token>[, ...]`: the entry after
                           ///< `jwt_auth_options::subprotocol_marker`
};

/// Settings of `jwt_auth`.
struct jwt_auth_options {
    /// Sources tried in order; the first that holds a token is used (no fallback when that
    /// token is invalid).
    std::vector<token_source> sources = {token_source::query, token_source::authorization_header,
                                         token_source::subprotocol};
    std::string query_parameter = "token";  ///< for `token_source::query`
    /// For `token_source::subprotocol`: the client offers `<marker>, <token>`; on success the
    /// `$connect` reply selects `<marker>` (RFC 6455 needs one offered value echoed, and the
    /// token must not be), unless the handler already chose a subprotocol.
    std::string subprotocol_marker = "bearer";
    std::string tenant_claim = "tenant";  ///< claim copied to `identity::tenant` (string)
    /// Claim copied to `identity::roles`: an array of strings, or one string of roles
    /// separated by spaces or commas.
    std::string roles_claim = "roles";
    std::vector<std::string> claims;  ///< further claims copied to `identity::claims`
    int failure_status = 401;         ///< status of the one generic rejection
};

/// Builds the identity from verified `claims`: `sub` → subject, `tenant_claim` → tenant,
/// `roles_claim` → roles, `options.claims` → claims (missing ones skipped). Pure.
[[nodiscard]] lift::identity identity_from_claims(const boost::json::object& claims,
                                                  const jwt_auth_options& options);

/// The middleware. On `$connect`: no token or an invalid one → `failure_status` with no body
/// and a warn log line "jwt auth rejected: <reason>"; a valid one → `ctx.set_identity(...)`,
/// then the rest of the chain. Other events pass through untouched. `verifier` must not be
/// null. Thread-safe (the verifier is).
[[nodiscard]] lift::middleware jwt_auth(std::shared_ptr<const jwt_verifier> verifier,
                                        jwt_auth_options options = {});

/// The token `jwt_auth` would use for `ev` with `options`, or nullopt. Exposed for tests and
/// for applications that authenticate by hand.
[[nodiscard]] std::optional<std::string> find_token(const lift::websocket_event& ev,
                                                    const jwt_auth_options& options);

/// Configuration from the environment (see docs/security.md):
/// `LIFT_JWT_SECRET` (HMAC secret, HS256, at least 32 bytes), `LIFT_JWT_PUBLIC_KEY_FILE`
/// (PEM; RSA → RS256/RS384/RS512/PS256, EC P-256 → ES256, P-384 → ES384), optional
/// `LIFT_JWT_ISSUER`, `LIFT_JWT_AUDIENCE` (comma-separated), `LIFT_JWT_LEEWAY_SECONDS`.
/// The token comes from the `token` query parameter only. Returns nullopt when neither key
/// variable is set; fails with `errc::bad_key`/`bad_configuration` when a set variable cannot
/// be used (start-up should stop then).
[[nodiscard]] result<std::optional<lift::middleware>> jwt_auth_from_env(
    const lift::aws::environment& env);

/// `jwt_auth_from_env` on the process environment.
[[nodiscard]] result<std::optional<lift::middleware>> jwt_auth_from_env();

}  // namespace lift::auth
