/// @file run.hpp
/// `lift::run(app, argc, argv)`: the one entry point of a Lift program. With
/// `AWS_LAMBDA_RUNTIME_API` set it runs the Lambda custom-runtime loop
/// (`lift::runtime::run_lambda`, configured from the environment; flags are ignored there);
/// otherwise it starts the local gateway with the app in-process, prints the URLs and serves
/// until SIGINT/SIGTERM.
///
///     int main(int argc, char** argv) {
///         lift::app app;  /* routes */
///         return lift::run(app, argc, argv);
///     }
#pragma once

#include <map>
#include <optional>
#include <string>

#include <lift/core/app.hpp>
#include <lift/gateway/gateway.hpp>

namespace lift {

/// Extra settings a program passes to `run` (e.g. an embedded page).
struct run_options {
    std::string program_name;                                  ///< shown in --help; default argv[0]
    std::string description;                                   ///< one line shown in --help
    std::map<std::string, gateway::static_file> static_files;  ///< served at `/` locally
    /// A Lambda REQUEST authorizer the local gateway runs on `$connect` (e.g. the same
    /// function a separate authorizer Lambda uses on AWS); ignored under Lambda, where API
    /// Gateway runs the configured authorizer. See docs/security.md.
    std::optional<gateway::connect_authorizer> authorizer;
};

/// Runs `app` (see the file comment). Options: --host, --port, --stage, --idle-timeout,
/// --max-lifetime, --integration-timeout, --workers, --route-selection-expression, --static,
/// --log-level, --verify-sigv4, --management-mode, --allowed-origin (repeatable),
/// --require-origin, each also as `LIFT_HOST`, `LIFT_PORT`, ..., `LIFT_VERIFY_SIGV4`,
/// `LIFT_MANAGEMENT_MODE`, `LIFT_ALLOWED_ORIGINS` (comma-separated), `LIFT_REQUIRE_ORIGIN` (the
/// flag wins). `--verify-sigv4` makes the
/// gateway require SigV4 (service `execute-api`, the resolved region, the resolved AWS
/// credentials, which must exist) on `@connections`; `--management-mode http` makes handlers
/// send with `lift::aws::management_client` over HTTP to `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`
/// / `AWS_ENDPOINT_URL` or the gateway's own endpoint (see docs/gateway.md). Installs an
/// in-memory connection store when the app has none. Returns the process exit code.
int run(app& app, int argc, char** argv, run_options options = {});

}  // namespace lift
