/// @file config.hpp
/// Where AWS credentials, the region and endpoint overrides come from: the environment (what
/// Lambda provides) and the shared `credentials`/`config` files, read through an `environment`
/// interface so tests never touch the real process environment.
///
///     lift::aws::process_environment env;
///     auto creds = lift::aws::resolve_credentials(env);  // result<credentials>
///     auto region = lift::aws::resolve_region(env).value_or("us-east-1");
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <lift/aws/sigv4.hpp>
#include <lift/core/result.hpp>

namespace lift::aws {

/// Read-only access to environment variables. Implementations are thread-safe for concurrent
/// `get` calls as long as nobody modifies the underlying variables at the same time.
class environment {
public:
    virtual ~environment() = default;

    /// The value of variable `name`, or `std::nullopt` if it is not set. An empty value is
    /// returned as an empty string; the resolvers below treat empty values as unset.
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view name) const = 0;
};

/// The real process environment (`std::getenv`). Thread-safe as long as no thread calls
/// `setenv`/`putenv` concurrently (a POSIX rule, not ours).
class process_environment final : public environment {
public:
    /// Reads `name` with `std::getenv`.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const override;
};

/// An environment backed by a map, for tests and for callers who want to resolve
/// configuration from values they already hold. Thread-compatible: concurrent `get` calls are
/// safe; `set`/`unset` need exclusive access.
class map_environment final : public environment {
public:
    /// The variables, name → value.
    using map_type = std::map<std::string, std::string, std::less<>>;

    /// An empty environment.
    map_environment() = default;

    /// An environment holding `vars`.
    explicit map_environment(map_type vars) : vars_(std::move(vars)) {}

    /// Looks `name` up in the map.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const override;

    /// Sets (or replaces) variable `name`.
    void set(std::string name, std::string value);

    /// Removes variable `name` if present.
    void unset(std::string_view name);

private:
    map_type vars_;
};

/// Suffix of `AWS_ENDPOINT_URL_<SUFFIX>` for DynamoDB.
inline constexpr std::string_view dynamodb_endpoint_suffix = "DYNAMODB";

/// Suffix of `AWS_ENDPOINT_URL_<SUFFIX>` for the API Gateway Management API (@connections).
inline constexpr std::string_view management_api_endpoint_suffix = "APIGATEWAYMANAGEMENTAPI";

/// Resolves credentials the way the AWS SDKs' default chain does (minus IMDS/SSO/processes):
///
/// 1. Environment: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (both required, non-empty),
///    plus `AWS_SESSION_TOKEN` if set. This is what Lambda provides. If only one of the two
///    is set, resolution falls through to the files.
/// 2. Shared files for the profile `AWS_PROFILE` (else `default`): first the credentials file
///    (`AWS_SHARED_CREDENTIALS_FILE`, else `$HOME/.aws/credentials`; sections `[NAME]`),
///    then the config file (`AWS_CONFIG_FILE`, else `$HOME/.aws/config`; sections
///    `[profile NAME]`, and `[default]` for the default profile). The first file whose
///    profile has both `aws_access_key_id` and `aws_secret_access_key` wins, with its
///    `aws_session_token` if present. Keys are case-insensitive; `#` and `;` start comments
///    (at line start, or after whitespace inside a value); whitespace around `=` is trimmed.
///    Missing or unreadable files are skipped.
///
/// Fails with `errc::not_found` when nothing complete is found; the message lists the
/// variables, files and profile that were looked at and never contains a secret value.
/// Reads files on every call (cache the result; Lambda credentials do not change within an
/// execution environment). Thread-safe if `env` is.
[[nodiscard]] result<credentials> resolve_credentials(const environment& env);

/// Resolves the region: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `region` of the
/// profile (`AWS_PROFILE`, else `default`) in the config file (see `resolve_credentials`).
/// Returns `std::nullopt` when none is set. Thread-safe if `env` is.
[[nodiscard]] std::optional<std::string> resolve_region(const environment& env);

/// Resolves an endpoint override for one service: `AWS_ENDPOINT_URL_<SUFFIX>` first (e.g.
/// `dynamodb_endpoint_suffix`), then `AWS_ENDPOINT_URL`. `service_env_suffix` is upper-cased
/// and spaces/hyphens become `_`, as the SDKs derive it from the service id. Returns
/// `std::nullopt` when neither is set or `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`.
/// Only the environment is consulted (not `endpoint_url` in the config file).
/// Thread-safe if `env` is.
[[nodiscard]] std::optional<std::string> resolve_endpoint(const environment& env,
                                                          std::string_view service_env_suffix);

}  // namespace lift::aws
