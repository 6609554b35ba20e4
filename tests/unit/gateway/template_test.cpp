// Loading a SAM/CloudFormation template into an api_config (include/lift/gateway/template.hpp).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <lift/gateway/template.hpp>

#include "yaml.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using lift::gateway::api_config;
using lift::gateway::function_config;
using lift::gateway::load_template;
using lift::gateway::load_template_text;
using lift::gateway::template_options;

const fs::path data_dir = fs::path(LIFT_TEST_DATA_DIR) / "templates";

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A readable, complete rendering of an api_config, for comparisons with useful diffs.
std::string dump(const api_config& api) {
    json::object o;
    o["name"] = api.name;
    o["rse"] = api.route_selection_expression;
    json::array routes;
    for (const auto& r : api.routes) {
        routes.push_back(
            json::object{{"key", r.route_key}, {"fn", r.function}, {"two_way", r.two_way}});
    }
    o["routes"] = std::move(routes);
    json::array fns;
    for (const auto& f : api.functions) {
        json::object env;
        for (const auto& [k, v] : f.environment) {
            env[k] = v;
        }
        json::array cmd;
        for (const auto& c : f.command) {
            cmd.emplace_back(c);
        }
        fns.push_back(json::object{{"name", f.name},
                                   {"command", std::move(cmd)},
                                   {"runtime", f.runtime},
                                   {"handler", f.handler},
                                   {"task_root", f.task_root},
                                   {"env", std::move(env)},
                                   {"timeout", f.timeout_seconds},
                                   {"memory", f.memory_mb},
                                   {"max_concurrency", f.max_concurrency}});
    }
    o["functions"] = std::move(fns);
    return json::serialize(o);
}

const function_config* find_function(const api_config& api, const std::string& name) {
    for (const auto& f : api.functions) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

TEST(template_load, full_sam_yaml_template) {
    std::vector<std::string> notes;
    template_options opt;
    opt.on_note = [&](const std::string& n) {
        notes.push_back(n);
    };
    const auto api = load_template((data_dir / "chat.yaml").string(), opt);
    ASSERT_TRUE(api) << api.error().message;
    const std::string d = fs::absolute(data_dir).lexically_normal().string();

    EXPECT_EQ(api->name, "lift-local-chat");
    EXPECT_EQ(api->route_selection_expression, "$request.body.action");
    ASSERT_EQ(api->routes.size(), 4u);
    EXPECT_EQ(api->routes[0].route_key, "$connect");
    EXPECT_EQ(api->routes[0].function, "OnConnectFunction");
    EXPECT_FALSE(api->routes[0].two_way);
    EXPECT_EQ(api->routes[1].route_key, "$disconnect");
    EXPECT_EQ(api->routes[1].function, "OnDisconnectFunction");
    EXPECT_EQ(api->routes[2].route_key, "sendmessage");
    EXPECT_EQ(api->routes[2].function, "lift-local-send");
    EXPECT_TRUE(api->routes[2].two_way);
    EXPECT_EQ(api->routes[3].route_key, "$default");
    EXPECT_EQ(api->routes[3].function, "DefaultFunction");
    EXPECT_FALSE(api->routes[3].two_way);

    ASSERT_EQ(api->functions.size(), 4u);
    const auto& connect = api->functions[0];  // template order
    EXPECT_EQ(connect.name, "OnConnectFunction");
    EXPECT_EQ(connect.command, std::vector<std::string>{d + "/functions/connect/bootstrap"});
    EXPECT_EQ(connect.task_root, d + "/functions/connect");
    EXPECT_EQ(connect.runtime, "provided.al2023");
    EXPECT_EQ(connect.handler, "bootstrap");
    EXPECT_EQ(connect.timeout_seconds, 10);  // Globals
    EXPECT_EQ(connect.memory_mb, 256);
    EXPECT_EQ(connect.max_concurrency, 10);
    EXPECT_EQ(
        connect.environment,
        (std::map<std::string, std::string>{
            {"TABLE_NAME", "chat-connections"}, {"LOG_LEVEL", "info"}, {"ROUTE", "connect"}}));

    const auto& disconnect = api->functions[1];  // AWS::Lambda::Function: no Globals
    EXPECT_EQ(disconnect.name, "OnDisconnectFunction");
    EXPECT_EQ(disconnect.command, std::vector<std::string>{d + "/functions/disconnect/bootstrap"});
    EXPECT_EQ(disconnect.runtime, "provided.al2");
    EXPECT_EQ(disconnect.timeout_seconds, 5);  // !If [IsProd, 30, 5] with StageName dev
    EXPECT_EQ(disconnect.memory_mb, 512);      // !FindInMap
    EXPECT_EQ(disconnect.environment,
              (std::map<std::string, std::string>{{"STAGE", "dev"},
                                                  {"GREETING", "it's \"quoted\""},
                                                  {"BANNER", "line one\n  indented\n"}}));

    const auto& send = api->functions[2];
    EXPECT_EQ(send.name, "lift-local-send");
    EXPECT_EQ(send.command, std::vector<std::string>{d + "/functions/send/bootstrap"});
    EXPECT_EQ(send.timeout_seconds, 20);
    EXPECT_EQ(send.max_concurrency, 4);  // ReservedConcurrentExecutions
    EXPECT_EQ(send.environment,
              (std::map<std::string, std::string>{
                  {"TABLE_NAME", "chat-connections"},
                  {"LOG_LEVEL", "debug"},
                  {"ENDPOINT", "https://ChatApi.execute-api.us-east-1.amazonaws.com/dev"},
                  {"TABLE_ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/chat-connections"},
                  {"LITERAL", "cost: ${Price}"}}));

    const auto& node = api->functions[3];
    EXPECT_EQ(node.name, "DefaultFunction");
    EXPECT_TRUE(node.command.empty());
    EXPECT_EQ(node.runtime, "nodejs20.x");
    EXPECT_EQ(node.handler, "index.handler");
    EXPECT_EQ(node.task_root, d + "/functions/default");

    ASSERT_EQ(notes.size(), 2u);
    EXPECT_NE(notes[0].find("HealthApi"), std::string::npos) << notes[0];
    EXPECT_NE(notes[1].find("HealthRoute"), std::string::npos) << notes[1];
}

// chat.json was produced from chat.yaml by cfn-lint's own template decoder (an independent YAML
// reading), so this also checks our parser against another implementation.
TEST(template_load, yaml_parses_like_cfn_lint) {
    const auto ours = lift::gateway::detail::parse_yaml(read(data_dir / "chat.yaml"));
    ASSERT_TRUE(ours) << ours.error().message;
    EXPECT_EQ(json::serialize(*ours), json::serialize(json::parse(read(data_dir / "chat.json"))));
}

TEST(template_load, json_template_gives_the_same_api) {
    const auto from_yaml = load_template((data_dir / "chat.yaml").string());
    const auto from_json = load_template((data_dir / "chat.json").string());
    ASSERT_TRUE(from_yaml) << from_yaml.error().message;
    ASSERT_TRUE(from_json) << from_json.error().message;
    EXPECT_EQ(dump(*from_yaml), dump(*from_json));
}

TEST(template_load, options_parameters_region_stack_and_code_overrides) {
    template_options opt;
    opt.parameters = {{"StageName", "prod"}, {"TableName", "t2"}};
    opt.region = "eu-west-1";
    opt.stack_name = "chat";
    opt.code_overrides = {{"OnConnectFunction", "/opt/build/connect"},
                          {"DefaultFunction", "/opt/node/default"}};
    const auto api = load_template((data_dir / "chat.yaml").string(), opt);
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(api->name, "chat-chat");
    EXPECT_EQ(api->functions[0].command, std::vector<std::string>{"/opt/build/connect"});
    EXPECT_EQ(api->functions[0].task_root, "/opt/build");
    EXPECT_EQ(api->functions[0].environment.at("TABLE_NAME"), "t2");
    EXPECT_EQ(api->functions[1].timeout_seconds, 30);
    EXPECT_EQ(api->functions[1].memory_mb, 1024);
    EXPECT_EQ(api->functions[1].environment.at("NOTHING"), "x");
    const auto* send = find_function(*api, "chat-send");
    ASSERT_NE(send, nullptr);
    EXPECT_EQ(send->environment.at("ENDPOINT"),
              "https://ChatApi.execute-api.eu-west-1.amazonaws.com/prod");
    EXPECT_EQ(api->routes[2].function, "chat-send");
    EXPECT_EQ(api->functions[3].task_root, "/opt/node/default");
}

// --- failure modes, each a small edit of a minimal template

const std::string minimal = R"(Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $connect
      Target: !Sub integrations/${Integ}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: provided.al2023
      Handler: bootstrap
      Environment:
        Variables:
          A: x
)";

std::string edit(std::string text, const std::string& from, const std::string& to) {
    const auto p = text.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    if (p != std::string::npos) {
        text.replace(p, from.size(), to);
    }
    return text;
}

lift::result<api_config> load(const std::string& text, const template_options& opt = {}) {
    return load_template_text(text, "/srv/app", opt, "t.yaml");
}

std::string load_error(const std::string& text, const template_options& opt = {}) {
    const auto r = load(text, opt);
    EXPECT_FALSE(r) << "loaded";
    if (r) {
        return {};
    }
    EXPECT_EQ(r.error().code, lift::errc::invalid_argument) << r.error().message;
    return r.error().message;
}

TEST(template_load, minimal_template_loads) {
    const auto api = load(minimal);
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(api->name, "Api");
    ASSERT_EQ(api->functions.size(), 1u);
    EXPECT_EQ(api->functions[0].command, std::vector<std::string>{"/srv/app/fn/bootstrap"});
    EXPECT_EQ(api->functions[0].timeout_seconds, 3);
    EXPECT_EQ(api->functions[0].memory_mb, 128);
}

TEST(template_load, no_websocket_api) {
    EXPECT_EQ(load_error(edit(minimal, "ProtocolType: WEBSOCKET", "ProtocolType: HTTP")),
              "t.yaml: no AWS::ApiGatewayV2::Api with ProtocolType: WEBSOCKET in the template");
}

TEST(template_load, two_websocket_apis_need_a_choice) {
    const std::string two = edit(minimal, "  ConnectRoute:\n", R"(  Api2:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.type}
  ConnectRoute:
)");
    const auto msg = load_error(two);
    EXPECT_NE(msg.find("2 WebSocket APIs (Api, Api2)"), std::string::npos) << msg;
    template_options opt;
    opt.api = "Api";
    const auto api = load(two, opt);
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(api->routes.size(), 1u);
    opt.api = "Api2";
    EXPECT_NE(load_error(two, opt).find("resource Api2: the WebSocket API has no routes"),
              std::string::npos);
    opt.api = "Fn";
    EXPECT_NE(load_error(two, opt).find("resource Fn: not an AWS::ApiGatewayV2::Api"),
              std::string::npos);
    opt.api = "Nope";
    EXPECT_NE(load_error(two, opt).find("resource Nope: no such resource"), std::string::npos);
}

TEST(template_load, api_without_route_selection_expression) {
    EXPECT_EQ(
        load_error(edit(minimal, "      RouteSelectionExpression: $request.body.action\n", "")),
        "t.yaml: resource Api: a WebSocket API needs a RouteSelectionExpression");
}

TEST(template_load, route_without_target) {
    EXPECT_EQ(load_error(edit(minimal, "      Target: !Sub integrations/${Integ}\n", "")),
              "t.yaml: resource ConnectRoute: route $connect has no Target (lift gateway serves "
              "routes integrated with a Lambda function)");
}

TEST(template_load, target_not_an_integration) {
    const auto msg = load_error(edit(minimal, "integrations/${Integ}", "integrations/abc123"));
    EXPECT_NE(msg.find("resource ConnectRoute: Target 'integrations/abc123' is not an "
                       "AWS::ApiGatewayV2::Integration"),
              std::string::npos)
        << msg;
}

TEST(template_load, integration_not_pointing_at_a_function) {
    const auto table = edit(minimal, "${Fn.Arn}", "${Table.Arn}") +
                       "  Table:\n    Type: AWS::DynamoDB::Table\n    Properties: {TableName: t}\n";
    EXPECT_EQ(load_error(table),
              "t.yaml: resource Integ: IntegrationUri 'arn:aws:apigateway:us-east-1:lambda:path/"
              "2015-03-31/functions/arn:aws:dynamodb:us-east-1:123456789012:table/t/invocations' "
              "does not point at a Lambda function of this template");
    const auto http = edit(minimal, "IntegrationType: AWS_PROXY", "IntegrationType: HTTP_PROXY");
    EXPECT_NE(load_error(http).find("resource Integ: IntegrationType HTTP_PROXY is not supported"),
              std::string::npos);
}

TEST(template_load, unsupported_intrinsic) {
    EXPECT_EQ(load_error(edit(minimal, "A: x", "A: !ImportValue shared-table")),
              "t.yaml: resource Fn: intrinsic function Fn::ImportValue is not supported by lift "
              "gateway");
    EXPECT_NE(load_error(edit(minimal, "A: x", "A: !GetAtt Api.Nonsense"))
                  .find("resource Fn: Fn::GetAtt Api.Nonsense (AWS::ApiGatewayV2::Api) is not "
                        "supported locally"),
              std::string::npos);
    EXPECT_NE(load_error(edit(minimal, "A: x", "A: !Ref Missing"))
                  .find("resource Fn: Ref to 'Missing', which is neither"),
              std::string::npos);
}

TEST(template_load, runtime_that_cannot_run) {
    EXPECT_EQ(load_error(edit(minimal, "Runtime: provided.al2023", "Runtime: python3.12")),
              "t.yaml: resource Fn: runtime python3.12 cannot be run by lift gateway (it runs "
              "provided.al2023, provided.al2, provided and nodejs* functions)");
    EXPECT_NE(load_error(edit(minimal, "      Runtime: provided.al2023\n", ""))
                  .find("resource Fn: function has no Runtime"),
              std::string::npos);
    EXPECT_NE(load_error(edit(edit(minimal, "Runtime: provided.al2023", "Runtime: nodejs22.x"),
                              "      Handler: bootstrap\n", ""))
                  .find("resource Fn: a nodejs22.x function needs a Handler"),
              std::string::npos);
}

TEST(template_load, code_that_is_not_local) {
    const auto s3 = edit(minimal, "CodeUri: fn/", "CodeUri: s3://bucket/fn.zip");
    EXPECT_NE(load_error(s3).find("resource Fn: CodeUri 's3://bucket/fn.zip' is not a directory"),
              std::string::npos);
    template_options opt;
    opt.code_overrides = {{"Fn", "build/fn/bootstrap"}};
    const auto api = load(s3, opt);
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(api->functions[0].command, std::vector<std::string>{"build/fn/bootstrap"});
    EXPECT_NE(load_error(edit(minimal, "CodeUri: fn/", "CodeUri: {Bucket: b, Key: k}"))
                  .find("resource Fn: CodeUri is an S3 location"),
              std::string::npos);
}

TEST(template_load, parameter_without_value) {
    const auto t =
        "Parameters:\n  Stage: {Type: String}\n" + edit(minimal, "A: x", "A: !Ref Stage");
    EXPECT_EQ(load_error(t),
              "t.yaml: resource Fn: parameter Stage has no Default and no value was "
              "given (pass it as a parameter override)");
    template_options opt;
    opt.parameters = {{"Stage", "beta"}};
    const auto api = load(t, opt);
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(api->functions[0].environment.at("A"), "beta");
}

TEST(template_load, route_response_for_an_unknown_route) {
    const auto t = minimal + R"(  Resp:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Api, RouteId: NotARoute, RouteResponseKey: $default}
)";
    EXPECT_EQ(load_error(t), "t.yaml: resource Resp: RouteId 'NotARoute' is not a route of Api");
}

TEST(template_load, duplicate_route_keys) {
    const auto t = minimal + R"(  Again:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $connect, Target: !Sub 'integrations/${Integ}'}
)";
    EXPECT_EQ(load_error(t), "t.yaml: resource Again: a second route for $connect");
}

TEST(template_load, syntax_errors_name_file_line_and_column) {
    const auto yaml = load(edit(minimal, "RouteKey: $connect", "RouteKey: &a $connect"));
    ASSERT_FALSE(yaml);
    EXPECT_EQ(yaml.error().code, lift::errc::parse_error);
    EXPECT_EQ(yaml.error().message, "t.yaml:11:17: anchors (&name) are not supported in templates");
    const auto js = load("{\n  \"Resources\": {\n    \"A\": [1,,]\n}}");
    ASSERT_FALSE(js);
    EXPECT_EQ(js.error().code, lift::errc::parse_error);
    EXPECT_EQ(js.error().message.rfind("t.yaml:3:13: invalid JSON: ", 0), 0u) << js.error().message;
    const auto missing = load_template((data_dir / "no-such.yaml").string());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, lift::errc::not_found);
}

// The repository's own deployment template serves example-chat.
TEST(template_load, deploy_template_for_example_chat) {
    const fs::path path = fs::path(LIFT_SOURCE_DIR) / "deploy/sam/template.yaml";
    ASSERT_TRUE(fs::exists(path)) << path;
    const auto api = load_template(path.string());
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(api->route_selection_expression, "$request.body.action");
    std::vector<std::string> keys;
    for (const auto& r : api->routes) {
        keys.push_back(r.route_key);
        EXPECT_EQ(r.function, "ChatFunction");
    }
    // No $default: example-chat answers unknown actions with API Gateway's Forbidden frame.
    EXPECT_EQ(keys, (std::vector<std::string>{"$connect", "$disconnect", "join", "leave", "send",
                                              "who"}));
    ASSERT_EQ(api->functions.size(), 1u);
    const auto& fn = api->functions[0];
    const std::string root = fs::absolute(LIFT_SOURCE_DIR).lexically_normal().string();
    EXPECT_EQ(fn.command,
              std::vector<std::string>{(fs::path(root) / "dist/example-chat/bootstrap").string()});
    EXPECT_EQ(fn.runtime, "provided.al2023");
    EXPECT_EQ(fn.handler, "bootstrap");
    EXPECT_EQ(fn.environment.at("LIFT_CONNECTION_STORE"), "dynamodb");
    EXPECT_EQ(fn.environment.at("LIFT_DYNAMODB_TABLE"), "ConnectionsTable");
    EXPECT_EQ(fn.environment.at("LIFT_LOG_LEVEL"), "info");
}

}  // namespace

namespace {

// A WebSocket API whose $connect route uses a Lambda REQUEST authorizer.
std::string authorizer_template(const std::string& route_key = "$connect",
                                const std::string& authorizer_type = "REQUEST",
                                const std::string& sources =
                                    "[route.request.querystring.token, "
                                    "route.request.header.X-Client]") {
    return R"(AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: authz
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Auth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: token-authorizer
      AuthorizerType: )" +
           authorizer_type + R"(
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFunction.Arn}/invocations
      IdentitySource: )" +
           sources + R"(
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: )" +
           route_key + R"(
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Auth
      Target: !Sub integrations/${Integration}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AppFunction.Arn}/invocations
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/app
      Handler: bootstrap
      Runtime: provided.al2023
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: my-authorizer
      CodeUri: dist/authorizer
      Handler: bootstrap
      Runtime: provided.al2023
)";
}

}  // namespace

TEST(template_load, request_authorizer_on_connect) {
    auto api = load_template_text(authorizer_template(), "/base");
    ASSERT_TRUE(api) << api.error().message;
    ASSERT_TRUE(api->authorizer);
    EXPECT_EQ(api->authorizer->function, "my-authorizer");
    EXPECT_EQ(api->authorizer->name, "token-authorizer");
    EXPECT_EQ(api->authorizer->identity_sources,
              (std::vector<std::string>{"route.request.querystring.token",
                                        "route.request.header.X-Client"}));
    // The authorizer's function is loaded with the route functions.
    const auto* f = find_function(*api, "my-authorizer");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->command, (std::vector<std::string>{"/base/dist/authorizer/bootstrap"}));
    ASSERT_NE(find_function(*api, "AppFunction"), nullptr);
}

TEST(template_load, identity_source_as_one_comma_separated_string) {
    auto api = load_template_text(
        authorizer_template("$connect", "REQUEST",
                            "'route.request.querystring.token, route.request.header.Auth'"),
        "/base");
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(
        api->authorizer->identity_sources,
        (std::vector<std::string>{"route.request.querystring.token", "route.request.header.Auth"}));
}

TEST(template_load, authorizer_errors_name_the_resource) {
    auto other_route = load_template_text(authorizer_template("sendmessage"), "/base");
    ASSERT_FALSE(other_route);
    EXPECT_NE(other_route.error().message.find("ConnectRoute"), std::string::npos);
    EXPECT_NE(other_route.error().message.find("$connect"), std::string::npos);

    auto jwt = load_template_text(authorizer_template("$connect", "JWT"), "/base");
    ASSERT_FALSE(jwt);
    EXPECT_NE(jwt.error().message.find("Auth"), std::string::npos);
    EXPECT_NE(jwt.error().message.find("JWT"), std::string::npos);

    auto source = load_template_text(
        authorizer_template("$connect", "REQUEST", "[stageVariables.token]"), "/base");
    ASSERT_FALSE(source);
    EXPECT_NE(source.error().message.find("stageVariables.token"), std::string::npos);
}
