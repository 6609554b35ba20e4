/// @file functions.hpp
/// Lambda functions the local gateway runs out of process through its Lambda Runtime API
/// server, and the routes that invoke them. Filled from `lift gateway --route` flags or from a
/// SAM/CloudFormation template (`template.hpp`).
///
///     lift::gateway::api_config api;
///     api.functions.push_back({.name = "chat", .command = {"dist/chat/bootstrap"}});
///     api.routes.push_back({.route_key = "$default", .function = "chat"});
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lift::gateway {

/// One Lambda function: how to start an instance of it and what Lambda would give it.
struct function_config {
    std::string name;                  ///< function name (`AWS_LAMBDA_FUNCTION_NAME`), unique
    std::vector<std::string> command;  ///< argv of an instance; `command[0]` is the `bootstrap`;
                                       ///< empty for a managed runtime (see `runtime`)
    std::string runtime;    ///< Lambda runtime id from a template (`provided.al2023`, `nodejs20.x`,
                            ///< ...); empty from `--route` flags. For `nodejs*` the gateway runs
                            ///< `aws-lambda-ric` with `handler` in `task_root`
    std::string handler;    ///< `_HANDLER` (free-form for custom runtimes)
    std::string task_root;  ///< `LAMBDA_TASK_ROOT` and working directory; empty:
                            ///< the directory of `command[0]`
    std::map<std::string, std::string> environment;  ///< the function's own variables
    int timeout_seconds = 3;   ///< function timeout (Lambda's and SAM's default: 3 s)
    int memory_mb = 128;       ///< `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`
    int max_concurrency = 10;  ///< instances running at once at most
};

/// A route of the WebSocket API and the function behind it.
struct route_binding {
    std::string route_key;  ///< `$connect`, `$disconnect`, `$default` or a custom key
    std::string function;   ///< `function_config::name`
    bool two_way = false;   ///< has a route response (`RouteResponseSelectionExpression`)
};

/// The WebSocket API the gateway serves with out-of-process functions.
struct api_config {
    std::string name;                                                 ///< API name, for messages
    std::string route_selection_expression = "$request.body.action";  ///< as on AWS
    std::vector<route_binding> routes;                                ///< every route
    std::vector<function_config> functions;                           ///< every function
};

}  // namespace lift::gateway
