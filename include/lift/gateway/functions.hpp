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
#include <optional>
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

/// A Lambda REQUEST authorizer on the `$connect` route, run as one of the API's functions
/// (template `AWS::ApiGatewayV2::Authorizer`, or `lift gateway --authorizer`).
struct authorizer_binding {
    std::string function;  ///< `function_config::name` of the authorizer function
    /// `route.request.header.<Name>` / `route.request.querystring.<Name>`; any missing or empty
    /// → 401 without invoking the function.
    std::vector<std::string> identity_sources;
    std::string name;  ///< the authorizer's name in log lines; empty: the function name
};

/// The WebSocket API the gateway serves with out-of-process functions.
struct api_config {
    std::string name;                                                 ///< API name, for messages
    std::string route_selection_expression = "$request.body.action";  ///< as on AWS
    std::vector<route_binding> routes;                                ///< every route
    std::vector<function_config> functions;                           ///< every function
    std::optional<authorizer_binding> authorizer;  ///< authorizer of `$connect`, if any
};

}  // namespace lift::gateway
