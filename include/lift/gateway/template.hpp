/// @file template.hpp
/// Reads the WebSocket API a SAM/CloudFormation template (YAML or JSON) describes into an
/// `api_config` for `lift gateway --template FILE`.
///
///     auto api = lift::gateway::load_template("deploy/sam/template.yaml");
///     if (!api) { std::cerr << api.error().message << '\n'; return 2; }
///     // api->routes, api->functions, api->route_selection_expression
///
/// What is read: the one `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET` (or the one
/// named by `template_options::api`) and its `RouteSelectionExpression` and `Name`; its
/// `AWS::ApiGatewayV2::Route`s (`RouteKey`, `Target: integrations/<IntegrationId>`);
/// `AWS::ApiGatewayV2::Integration`s (`AWS_PROXY` to a Lambda function of the template);
/// `AWS::ApiGatewayV2::RouteResponse`s (their route becomes two-way); the
/// `AWS::ApiGatewayV2::Authorizer` (`AuthorizerType: REQUEST`, `AuthorizerUri` → a function of
/// the template, `IdentitySource`, `Name`) that the `$connect` route names with `AuthorizerId`
/// and `AuthorizationType: CUSTOM` (→ `api_config::authorizer`); and the
/// `AWS::Serverless::Function`s / `AWS::Lambda::Function`s behind the routes (`CodeUri`/`Code`,
/// `Handler`, `Runtime`, `Environment.Variables`, `Timeout`, `MemorySize`, `FunctionName`, with
/// SAM `Globals.Function` defaults). Intrinsics `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
/// `Fn::Select`, `Fn::Split`, `Fn::If` (with `Conditions`), `Fn::FindInMap` are resolved
/// against `Parameters` (Default, or `template_options::parameters`), pseudo parameters and the
/// template's resources: `Ref` of a resource gives its name property (`TableName`,
/// `FunctionName`, ...) or else its logical id; `Fn::GetAtt X.Arn` gives a local ARN.
/// Everything else in the template (IAM, tables, stages, HTTP APIs) is not needed and ignored.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <lift/core/result.hpp>
#include <lift/gateway/functions.hpp>

namespace lift::gateway {

/// How a template is read.
struct template_options {
    /// Logical id of the WebSocket API to serve; empty: the template must have exactly one.
    std::string api;
    /// Parameter values that replace the template's `Default`s (`--parameter-overrides`).
    std::map<std::string, std::string> parameters;
    /// Logical id of a function → path of its built executable (or of a directory holding
    /// `bootstrap`), used instead of `CodeUri`/`Code`. Relative paths are taken as given.
    std::map<std::string, std::string> code_overrides;
    std::string region = "us-east-1";         ///< `AWS::Region`
    std::string account_id = "123456789012";  ///< `AWS::AccountId`
    std::string stack_name = "lift-local";    ///< `AWS::StackName`
    /// Called with each note about something skipped (an HTTP API and its routes, a
    /// `AWS::Serverless::Api`, ...); may be empty. Called on the loading thread.
    std::function<void(const std::string&)> on_note;
};

/// Loads the template at `path`: JSON when its first non-blank character is `{`, else YAML.
/// `CodeUri`/`Code` paths are relative to the template's directory and made absolute. A
/// function with a `provided*` runtime gets `command = {<code dir>/bootstrap}`; a `nodejs*`
/// function gets an empty `command`, its `runtime`, `handler` and `task_root = <code dir>`.
/// Files are not checked for existence. Function names are the `FunctionName` property, or
/// else the logical id.
///
/// Errors: `errc::not_found` (cannot read the file), `errc::parse_error` ("PATH:LINE:COL:
/// reason"), `errc::invalid_argument` for a template the gateway cannot serve, with the
/// logical id of the resource at fault and the reason (no WebSocket API, a route without a
/// target, an integration that does not point at a function of the template, an unsupported
/// intrinsic, a runtime lift cannot run, a parameter without a value, a CUSTOM authorizer on a
/// route other than `$connect`, a non-REQUEST authorizer, an unsupported identity source, ...).
/// Thread-safe (no shared state); `options` is only read during the call.
[[nodiscard]] result<api_config> load_template(const std::string& path,
                                               const template_options& options = {});

/// Same as `load_template` for template text already in memory; `base_dir` is the directory
/// `CodeUri` paths are relative to, `source` names the text in error messages.
[[nodiscard]] result<api_config> load_template_text(std::string_view text,
                                                    const std::string& base_dir,
                                                    const template_options& options = {},
                                                    const std::string& source = "template");

}  // namespace lift::gateway
