// Subcommands of the `lift` tool. Each registers its options on the CLI11 app and returns the
// function that runs it (exit status).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace lift::tool {

using command = std::function<int()>;

/// `lift event connect|message|disconnect`: prints a proxy event shaped like API Gateway's.
command add_event_command(CLI::App& parent);

/// `lift route`: evaluates a route selection expression against a message body.
command add_route_command(CLI::App& parent);

/// `lift package`: checks a Lambda bootstrap and zips it (provided.al2023).
command add_package_command(CLI::App& parent);

/// `lift table create|describe`: the DynamoDB table of the connection store.
command add_table_command(CLI::App& parent);

/// `lift gateway`: the local gateway with out-of-process functions (`--route KEY=bootstrap`).
command add_gateway_command(CLI::App& parent);

/// `lift invoke`: one invocation of a bootstrap through the Lambda Runtime API.
command add_invoke_command(CLI::App& parent);

}  // namespace lift::tool
