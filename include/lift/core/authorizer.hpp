/// @file authorizer.hpp
/// API Gateway Lambda REQUEST authorizers for WebSocket APIs (aws-reference §3.3): the event an
/// authorizer receives on `$connect` (`authorizer_request`), the policy it answers with
/// (`authorizer_response`), both with their JSON mapping, and how API Gateway judges that
/// answer (`evaluate_policy`, `arn_matches`, `identity_source`). The same types serve an
/// authorizer written with Lift (`lift::run_authorizer`, lift/runtime/authorizer.hpp) and the
/// local gateway that calls one (`gateway::options::authorizer`).
///
///     auto allow = lift::authorizer_response::allow("alice", req.method_arn, {{"role", "admin"}});
///     if (!allow) return allow.error();            // a context value was not a scalar
///     return lift::unauthorized();                 // answered 401 by API Gateway
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <lift/core/event.hpp>
#include <lift/core/result.hpp>

namespace lift {

/// The event a Lambda REQUEST authorizer receives for a WebSocket `$connect`: the CONNECT
/// event's headers, query and request context (without `authorizer`) plus `type` and
/// `methodArn`. Absent and `null` members read as `std::nullopt` and are omitted when written.
/// A plain value; thread-compatible.
struct authorizer_request {
    std::string type = "REQUEST";  ///< `type`, always "REQUEST" for WebSocket APIs
    /// `methodArn`: `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`.
    std::string method_arn;
    std::optional<string_map> headers;                    ///< `headers` of the handshake
    std::optional<multi_string_map> multi_value_headers;  ///< `multiValueHeaders`
    std::optional<string_map> query_string_parameters;    ///< `queryStringParameters`
    std::optional<multi_string_map> multi_value_query_string_parameters;  ///< multi-value form
    std::optional<boost::json::object> stage_variables;                   ///< `stageVariables`
    ws_request_context request_context;  ///< `requestContext` of the CONNECT event
    boost::json::object extra;           ///< members this model does not name, kept

    /// Case-insensitive lookup of a handshake header; nullptr when absent.
    const std::string* header(std::string_view name) const noexcept;

    /// Value of query parameter `name` (case-sensitive) from `queryStringParameters`, else the
    /// first of `multiValueQueryStringParameters`; nullptr when absent.
    const std::string* query(std::string_view name) const noexcept;
};

/// The authorizer request for a CONNECT event: its headers, query, stage variables and request
/// context (its `authorizer`, if any, dropped) with `method_arn`.
authorizer_request make_authorizer_request(const websocket_event& connect, std::string method_arn);

/// Parses an authorizer event. Fails with `errc::parse_error` on invalid JSON, a member of the
/// wrong type, a missing `methodArn` or `requestContext`.
[[nodiscard]] result<authorizer_request> parse_authorizer_request(std::string_view json);

/// Maps an already parsed JSON value; same rules as `parse_authorizer_request`.
[[nodiscard]] result<authorizer_request> authorizer_request_from_json(const boost::json::value& v);

/// The event as JSON (`type`, `methodArn`, then the CONNECT members).
boost::json::value to_json(const authorizer_request& r);

/// `to_json(r)` serialised.
std::string serialize(const authorizer_request& r);

/// `Effect` of a policy statement.
enum class policy_effect {
    allow = 1,  ///< "Allow"
    deny = 2,   ///< "Deny"
};

/// One statement of the policy document. `Action` and `Resource` may be a string or a list on
/// the wire; both read into lists.
struct policy_statement {
    policy_effect effect = policy_effect::deny;              ///< `Effect`
    std::vector<std::string> actions{"execute-api:Invoke"};  ///< `Action`
    std::vector<std::string> resources;                      ///< `Resource` (ARN globs)
};

/// What an authorizer returns: `{"principalId", "policyDocument": {"Version": "2012-10-17",
/// "Statement": [...]}, "context": {...}, "usageIdentifierKey"}`. `context` values must be
/// strings, numbers or booleans (API Gateway refuses objects, arrays and null). A plain value;
/// thread-compatible.
struct authorizer_response {
    std::string principal_id;                         ///< `principalId`
    std::string policy_version = "2012-10-17";        ///< `policyDocument.Version`
    std::vector<policy_statement> statements;         ///< `policyDocument.Statement`
    boost::json::object context;                      ///< `context`: scalar values only
    std::optional<std::string> usage_identifier_key;  ///< `usageIdentifierKey`

    /// A response allowing `execute-api:Invoke` on `resource` (normally the request's
    /// `method_arn`) for `principal_id`, with `context`. Fails with `errc::invalid_argument`
    /// naming the key when a context value is not a string, number or boolean.
    [[nodiscard]] static result<authorizer_response> allow(std::string principal_id,
                                                           std::string resource,
                                                           boost::json::object context = {});

    /// A response denying `execute-api:Invoke` on `resource` for `principal_id` (API Gateway
    /// answers 403).
    static authorizer_response deny(std::string principal_id, std::string resource);
};

/// The error an authorizer returns to make API Gateway answer 401 (`errc::unauthorized`, the
/// Lambda error message "Unauthorized").
[[nodiscard]] error unauthorized();

/// Fails with `errc::invalid_argument` naming the first context key whose value is not a
/// string, number or boolean.
[[nodiscard]] result<void> validate_context(const boost::json::object& context);

/// Parses an authorizer's answer. `Statement`, `Action` and `Resource` may each be a single
/// value or a list. Fails with `errc::parse_error` for invalid JSON, a missing `principalId`
/// or `policyDocument`, an `Effect` other than "Allow"/"Deny", or a context value that is an
/// object, array or null.
[[nodiscard]] result<authorizer_response> parse_authorizer_response(std::string_view json);

/// Maps an already parsed JSON value; same rules as `parse_authorizer_response`.
[[nodiscard]] result<authorizer_response> authorizer_response_from_json(
    const boost::json::value& v);

/// The response as JSON in AWS's member names (single values written as strings).
boost::json::value to_json(const authorizer_response& r);

/// `to_json(r)` serialised.
std::string serialize(const authorizer_response& r);

/// IAM-style match of an ARN against a pattern: `*` matches any run of characters (also `/`)
/// and `?` one character, within one colon-separated field of the first five (partition,
/// service, region, account); in the resource part (after the fifth colon) they may span `/`
/// and `:`. Comparison is case-sensitive, as IAM's for resources. So `.../dev/*` matches
/// `.../dev/$connect`, while `.../dev/*/*` does not (a WebSocket route ARN has no verb).
bool arn_matches(std::string_view pattern, std::string_view arn) noexcept;

/// How a policy judges one request.
enum class policy_decision {
    allowed = 1,            ///< an Allow statement matches and no Deny does
    explicitly_denied = 2,  ///< a Deny statement matches
    not_allowed = 3,        ///< no statement matches (implicit deny)
};

/// Evaluates `r`'s statements for action `execute-api:Invoke` on `method_arn` as IAM does: an
/// explicit Deny wins, else an Allow is needed. Actions match case-insensitively with `*`/`?`
/// wildcards (`execute-api:*`, `*`). Statements with conditions are not modelled.
policy_decision evaluate_policy(const authorizer_response& r, std::string_view method_arn) noexcept;

/// `requestContext.authorizer` for the events of an allowed connection: `{"principalId": ...,
/// <context members>...}` (a context key named `principalId` does not replace the principal).
boost::json::object authorizer_context(const authorizer_response& r);

/// One identity source of an authorizer (`IdentitySource`): a handshake header or query
/// parameter that must be present and non-empty, else the handshake is answered 401 without
/// calling the authorizer.
struct identity_source {
    enum class location {
        header = 1,       ///< `route.request.header.<name>` (name case-insensitive)
        querystring = 2,  ///< `route.request.querystring.<name>` (case-sensitive)
    };
    location where = location::header;  ///< where to look
    std::string name;                   ///< header or parameter name

    /// Parses `route.request.header.<Name>` or `route.request.querystring.<Name>` (`$`-prefixed
    /// forms `$request.header.<Name>` / `$request.querystring.<Name>` are accepted too). Fails
    /// with `errc::invalid_argument` for anything else (stage variables and `$context` sources
    /// are not supported) or an empty name.
    [[nodiscard]] static result<identity_source> parse(std::string_view text);

    /// True when `connect` carries this source with a non-empty value.
    bool present_in(const websocket_event& connect) const noexcept;

    /// The canonical text, `route.request.header.<name>` or `route.request.querystring.<name>`.
    std::string to_string() const;
};

/// An authorizer as the gateway calls it: takes the request and returns the response, or
/// `unauthorized()` (401), or any other error (500). May be called from several worker threads
/// at once: must be thread-safe.
using authorizer_function = std::function<result<authorizer_response>(const authorizer_request&)>;

}  // namespace lift
