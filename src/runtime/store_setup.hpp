// Store and credential set-up shared by the local gateway (`lift::run`) and the Lambda loop:
// both pick the connection store the same way from LIFT_CONNECTION_STORE / LIFT_DYNAMODB_TABLE /
// LIFT_DYNAMODB_CREATE_TABLE (or the equivalent flags).
#pragma once

#include <memory>
#include <string>

#include <lift/aws/config.hpp>
#include <lift/aws/sigv4.hpp>
#include <lift/core/app.hpp>
#include <lift/core/result.hpp>

namespace lift::runtime::detail {

// Settings of the connection store from flags/environment.
struct store_settings {
    std::string kind;  // "" (not chosen: the app's store or memory), "memory" or "dynamodb"
    std::string table;
    bool create_table = false;
};

// Credentials the http management mode signs with when none are configured and an endpoint
// override points at a local server (which accepts any key).
aws::credentials local_dummy_credentials();

// Reads LIFT_CONNECTION_STORE, LIFT_DYNAMODB_TABLE and LIFT_DYNAMODB_CREATE_TABLE from `env`
// into `settings` (only the variables that are set). Fails with errc::invalid_argument naming
// the variable when one does not parse.
result<void> store_settings_from(const aws::environment& env, store_settings& settings);

// Installs the chosen store in `application`: "dynamodb" builds the DynamoDB store (credentials,
// region, endpoint; checks or creates the table); "memory", or no choice while the app has no
// store, installs a memory_store; otherwise the app keeps its own. `description` says which
// (for banners and logs). Errors carry a message naming what to fix; their code tells
// configuration problems (condition invalid / not_found / auth) from unreachable endpoints.
result<void> install_store(app& application,
                           const aws::environment& env,
                           const store_settings& settings,
                           std::string& description);

// The exit status for a failed `install_store`: 2 for configuration problems, 1 otherwise.
int store_failure_status(const error& e) noexcept;

}  // namespace lift::runtime::detail
