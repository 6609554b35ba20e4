/// @file management_api.hpp
/// The API Gateway Management API (`@connections`) over HTTP(S): `management_client` implements
/// `lift::connection_api` with SigV4 (`execute-api`), standard-mode retries, typed errors and a
/// concurrent `post_many` with per-connection outcomes and a hook for gone connections.
///
///     auto ep = lift::aws::parse_endpoint(lift::aws::management_endpoint_for(domain, stage));
///     lift::aws::management_client api(transport, {.target = *ep, .credentials = creds});
///     auto r = api.post_to_connection(id, R"({"hello":1})");   // errc::gone when closed
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <lift/aws/http.hpp>
#include <lift/aws/retry.hpp>
#include <lift/aws/sigv4.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/connection_api.hpp>
#include <lift/core/connection_store.hpp>
#include <lift/core/result.hpp>

namespace lift::aws {

/// Called once for each connection id an operation found gone (HTTP 410). Runs on the thread
/// that made the call (for `post_many`, after all requests finished, in id order). Must not
/// call back into the same client's `post_many`.
using gone_hook = std::function<void(std::string_view connection_id)>;

/// Where and how `management_client` talks to the `@connections` API.
struct management_config {
    /// The API's endpoint including the stage: `https://{domainName}/{stage}` on AWS (see
    /// `management_endpoint_for`), `http://127.0.0.1:PORT/{stage}` for the local gateway.
    /// Requests go to `{base_path}/@connections/{id}`.
    endpoint target;
    std::string region = "us-east-1";  ///< signing region (the API's region)
    aws::credentials credentials;      ///< signing credentials (`execute-api:ManageConnections`)
    std::size_t max_in_flight = 32;    ///< `post_many`: requests outstanding at once (>= 1)
    /// Deadline of a call (all its retries included) counted from its start.
    std::chrono::milliseconds call_budget{10'000};
    gone_hook on_gone;  ///< optional; see `gone_hook` (e.g. `prune_gone_from(store)`)
};

/// `https://{domain_name}/{stage}`: the endpoint of the API a WebSocket event came through
/// (`requestContext.domainName` and `.stage`). Caveat: behind a custom domain name the
/// management endpoint is `https://{custom-domain}/{api-mapping-key}` (just
/// `https://{custom-domain}` when the mapping key is empty), which the event does not tell;
/// configure it explicitly there (e.g. with `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`).
/// A `stage` that is empty gives `https://{domain_name}`. Pure; thread-safe.
[[nodiscard]] std::string management_endpoint_for(std::string_view domain_name,
                                                  std::string_view stage);

/// Encodes a connection id as an URI label the way the AWS SDKs do: unreserved characters
/// (`A-Za-z0-9-._~`) stay, every other byte becomes `%XX` (`R1kmxc2VNjMCFIA=` →
/// `R1kmxc2VNjMCFIA%3D`). Pure; thread-safe.
[[nodiscard]] std::string encode_connection_id(std::string_view connection_id);

/// A gone hook that removes the id from `store` (errors are ignored: the record expires by
/// TTL anyway). `store` must outlive every client holding the hook.
[[nodiscard]] gone_hook prune_gone_from(lift::connection_store& store);

/// `lift::connection_api` over HTTP(S).
///
/// Wire: `POST|GET|DELETE {base_path}/@connections/{encode_connection_id(id)}`, signed with
/// SigV4 for service `execute-api` over that raw path, POST body = `data` as is (AWS allows
/// up to 131072 bytes and answers 413 above; the client leaves the decision to the server).
///
/// Errors: `lift::errc::gone` (410, whatever the body), `forbidden` (403), `limit_exceeded`
/// (429), `payload_too_large` (413), other AWS errors as `aws::errc` by `x-amzn-ErrorType` or
/// status (e.g. `internal_server_error`), transport errors from the `http_transport`,
/// `aws::errc::bad_response` for a malformed GetConnection body, `lift::errc::invalid_argument`
/// for an empty id. Throttling (429) and transient errors (5xx, transport) are retried per
/// the `retry_policy` within `call_budget`; 410 is never retried.
///
/// Thread-safe (signing is serialized inside). The transport, and the policy, clock and
/// sleeper when given, are borrowed and must outlive the client.
class management_client final : public lift::connection_api {
public:
    /// A client with its own standard-mode policy, the system clock and a thread sleeper.
    management_client(http_transport& transport, management_config config);

    /// A client with injected retry policy, clock (also the signing time) and sleeper (tests).
    management_client(http_transport& transport,
                      management_config config,
                      retry_policy& policy,
                      const lift::clock& clk,
                      sleeper& sleep);

    ~management_client() override;
    management_client(const management_client&) = delete;
    management_client& operator=(const management_client&) = delete;

    /// PostToConnection (HTTP 200 on success).
    [[nodiscard]] result<void> post_to_connection(std::string_view connection_id,
                                                  std::string_view data) override;

    /// GetConnection: parses `{"connectedAt","identity":{"sourceIp","userAgent"},
    /// "lastActiveAt"}` (ISO 8601 times; a null or absent `userAgent` gives nullopt).
    [[nodiscard]] result<lift::connection_info> get_connection(
        std::string_view connection_id) override;

    /// DeleteConnection (any 2xx is success: the model says 204, older deployments said 200).
    [[nodiscard]] result<void> delete_connection(std::string_view connection_id) override;

    /// Posts `data` to every id with at most `max_in_flight` requests outstanding (through
    /// `http_transport::send_many`, over reused connections) and returns one result per id,
    /// in order. Failures that are throttling or transient are re-sent in rounds (backoff per
    /// the policy, at most `max_attempts` rounds, never past `call_budget`); 410s are never
    /// re-sent. `on_gone` is called once per id that came back gone. Empty ids fail with
    /// `invalid_argument` without a request. Blocks until every request has an outcome.
    [[nodiscard]] std::vector<result<void>> post_many(std::span<const std::string> connection_ids,
                                                      std::string_view data) override;

    /// The endpoint in use.
    [[nodiscard]] const endpoint& target() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace lift::aws
