// `lift gateway`: the local API Gateway with the routes' functions run out of process, in any
// language, through the Lambda Runtime API (function_gateway).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lift/core/log.hpp>
#include <lift/gateway/function_gateway.hpp>
#include <lift/gateway/template.hpp>

#include "commands.hpp"

namespace lift::tool {

namespace {

struct gateway_args {
    std::vector<std::string> routes;
    std::vector<std::string> two_way;
    std::vector<std::string> env;
    std::string template_file;
    int max_concurrency = 10;
    int timeout_seconds = 3;
    int memory_mb = 128;
    std::int64_t init_timeout_ms = 10000;
    std::string region;
    std::string log_level = "info";
    std::string handler;
    std::string authorizer;
    std::vector<std::string> identity_sources;
    std::vector<std::string> allowed_origins;
    bool require_origin = false;
    gateway::options opts;
};

// Splits LIFT_ALLOWED_ORIGINS-style text at commas, trimming blanks.
std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find(',', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        std::string item = text.substr(start, end - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            out.push_back(std::move(item));
        }
        start = end + 1;
    }
    return out;
}

// The Node.js Runtime Interface Client for a `nodejs*` function from a template: npm
// `aws-lambda-ric` in a `node_modules` at or above the function's code directory (as a user
// installs it next to the handler), else LIFT_AWS_LAMBDA_RIC (path of its bin/index.mjs).
std::string find_node_ric(const std::string& task_root) {
    for (std::filesystem::path dir = std::filesystem::absolute(task_root); !dir.empty();
         dir = dir.parent_path()) {
        const auto candidate = dir / "node_modules" / "aws-lambda-ric" / "bin" / "index.mjs";
        if (std::filesystem::exists(candidate)) {
            return candidate.string();
        }
        if (dir == dir.root_path()) {
            break;
        }
    }
    if (const char* env = std::getenv("LIFT_AWS_LAMBDA_RIC"); env != nullptr && *env != '\0') {
        return env;
    }
    return {};
}

// A function name from its path: the directory of a file named `bootstrap`, else the file's
// stem (`dist/chat/bootstrap` -> `chat`, `handlers/echo.mjs` -> `echo`).
std::string function_name(const std::string& path) {
    const std::filesystem::path p{path};
    std::string name = p.filename() == "bootstrap" && p.has_parent_path()
                           ? p.parent_path().filename().string()
                           : p.stem().string();
    return name.empty() ? std::string{"function"} : name;
}

std::string authorizer_sources(const gateway::authorizer_binding& b) {
    return b.identity_sources.empty() ? std::string{"none"}
                                      : fmt::format("{}", fmt::join(b.identity_sources, ", "));
}

int run_gateway(gateway_args& a) {
    auto level = parse_log_level(a.log_level);
    if (!level) {
        std::fprintf(stderr, "lift gateway: unknown log level '%s'\n", a.log_level.c_str());
        return 2;
    }
    if (!a.template_file.empty() && !a.routes.empty()) {
        std::fprintf(stderr, "lift gateway: give either --template or --route, not both\n");
        return 2;
    }
    if (a.template_file.empty() && a.routes.empty()) {
        std::fprintf(stderr, "lift gateway: give at least one --route 'ROUTE=path/to/bootstrap'\n");
        return 2;
    }
    std::map<std::string, std::string> environment;
    for (const auto& kv : a.env) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "lift gateway: --env wants NAME=VALUE, got '%s'\n", kv.c_str());
            return 2;
        }
        environment[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    gateway::api_config api;
    api.name = "lift";
    if (!a.template_file.empty()) {
        auto loaded = gateway::load_template(a.template_file);
        if (!loaded) {
            std::fprintf(stderr, "lift gateway: %s\n", loaded.error().message.c_str());
            return 2;
        }
        api = std::move(*loaded);
        for (auto& f : api.functions) {
            if (f.command.empty() && f.runtime.rfind("nodejs", 0) == 0) {
                const std::string ric = find_node_ric(f.task_root);
                if (ric.empty()) {
                    std::fprintf(stderr,
                                 "lift gateway: function %s (%s) needs the Node.js runtime "
                                 "interface client: `npm install aws-lambda-ric` in %s, or set "
                                 "LIFT_AWS_LAMBDA_RIC to its bin/index.mjs\n",
                                 f.name.c_str(), f.runtime.c_str(), f.task_root.c_str());
                    return 2;
                }
                f.command = {"node", ric, f.handler};
            }
            for (const auto& [k, v] : environment) {
                f.environment.emplace(k, v);
            }
        }
    }
    if (!a.opts.route_selection_expression.empty()) {
        api.route_selection_expression = a.opts.route_selection_expression;
    }
    std::map<std::string, std::string> by_path;  // path -> function name
    for (const auto& spec : a.routes) {
        const auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
            std::fprintf(stderr, "lift gateway: --route wants ROUTE=path/to/bootstrap, got '%s'\n",
                         spec.c_str());
            return 2;
        }
        const std::string key = spec.substr(0, eq);
        const std::string path = spec.substr(eq + 1);
        auto it = by_path.find(path);
        if (it == by_path.end()) {
            std::string name = function_name(path);
            for (int n = 2; std::any_of(api.functions.begin(), api.functions.end(),
                                        [&](const auto& f) { return f.name == name; });
                 ++n) {
                name = fmt::format("{}-{}", function_name(path), n);
            }
            gateway::function_config f;
            f.name = name;
            f.command = {path};
            f.handler = a.handler;
            f.timeout_seconds = a.timeout_seconds;
            f.memory_mb = a.memory_mb;
            f.max_concurrency = a.max_concurrency;
            f.environment = environment;
            api.functions.push_back(std::move(f));
            it = by_path.emplace(path, name).first;
        }
        const bool two_way = std::find(a.two_way.begin(), a.two_way.end(), key) != a.two_way.end();
        api.routes.push_back({.route_key = key, .function = it->second, .two_way = two_way});
    }
    if (!a.authorizer.empty()) {
        // A function of the template by name, else a bootstrap path (as --route takes).
        auto named = std::find_if(api.functions.begin(), api.functions.end(),
                                  [&](const auto& f) { return f.name == a.authorizer; });
        std::string fn;
        if (named != api.functions.end()) {
            fn = named->name;
        } else if (auto it = by_path.find(a.authorizer); it != by_path.end()) {
            fn = it->second;
        } else {
            std::string name = function_name(a.authorizer);
            for (int n = 2; std::any_of(api.functions.begin(), api.functions.end(),
                                        [&](const auto& f) { return f.name == name; });
                 ++n) {
                name = fmt::format("{}-{}", function_name(a.authorizer), n);
            }
            gateway::function_config f;
            f.name = name;
            f.command = {a.authorizer};
            f.handler = a.handler;
            f.timeout_seconds = a.timeout_seconds;
            f.memory_mb = a.memory_mb;
            f.max_concurrency = a.max_concurrency;
            f.environment = environment;
            api.functions.push_back(std::move(f));
            fn = name;
        }
        api.authorizer =
            gateway::authorizer_binding{.function = fn, .identity_sources = {}, .name = fn};
    }
    if (!a.identity_sources.empty()) {
        if (!api.authorizer) {
            std::fprintf(stderr,
                         "lift gateway: --identity-source needs an authorizer "
                         "(--authorizer or one in the template)\n");
            return 2;
        }
        api.authorizer->identity_sources = a.identity_sources;
    }
    if (a.allowed_origins.empty()) {
        if (const char* env = std::getenv("LIFT_ALLOWED_ORIGINS"); env != nullptr) {
            a.allowed_origins = split_list(env);
        }
    }
    if (const char* env = std::getenv("LIFT_REQUIRE_ORIGIN");
        env != nullptr && (std::string_view{env} == "1" || std::string_view{env} == "true")) {
        a.require_origin = true;
    }
    a.opts.allowed_origins = a.allowed_origins;
    a.opts.require_origin = a.require_origin;
    a.opts.level = *level;
    gateway::function_host_options host_opts;
    host_opts.level = *level;
    host_opts.init_timeout_ms = a.init_timeout_ms;
    if (!a.region.empty()) {
        host_opts.region = a.region;
        a.opts.region = a.region;
    }
    a.opts.account_id = host_opts.account_id;
    auto started = gateway::function_gateway::start(api, a.opts, host_opts);
    if (!started) {
        std::fprintf(stderr, "lift gateway: %s\n", started.error().message.c_str());
        return 1;
    }
    auto& gw = **started;
    gw.handle_signals();
    std::string routes;
    for (const auto& r : api.routes) {
        const auto& f = *std::find_if(api.functions.begin(), api.functions.end(),
                                      [&](const auto& fn) { return fn.name == r.function; });
        routes += fmt::format("  {:<13} -> {} ({}{})\n", r.route_key, f.name, f.command.front(),
                              r.two_way ? ", two-way" : "");
    }
    const std::string out = fmt::format(
        "Lift local gateway (stage {}, functions out of process via the Lambda Runtime API)\n"
        "  WebSocket:    {}\n"
        "  @connections: {}/@connections/{{connectionId}}\n"
        "Routes:\n{}"
        "{}{}{}"
        "Press Ctrl+C to stop.\n",
        a.opts.stage, gw.websocket_url(), gw.management_url(), routes,
        a.template_file.empty()
            ? fmt::format("Functions: timeout {} s, memory {} MB, up to {} instances each\n",
                          a.timeout_seconds, a.memory_mb, a.max_concurrency)
            : fmt::format("From template {}\n", a.template_file),
        api.authorizer ? fmt::format("Authorizer:   {} on $connect, identity sources: {}\n",
                                     api.authorizer->function, authorizer_sources(*api.authorizer))
                       : std::string{},
        a.allowed_origins.empty()
            ? std::string{}
            : fmt::format("Origins:      {}{}\n", fmt::join(a.allowed_origins, ", "),
                          a.require_origin ? " (Origin required)" : ""));
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    gw.wait();
    const auto s = gw.stats();
    std::fprintf(stderr, "lift gateway: stopped; %llu invocations, %llu failed, %llu cold starts\n",
                 static_cast<unsigned long long>(s.invocations),
                 static_cast<unsigned long long>(s.invocation_errors),
                 static_cast<unsigned long long>(s.cold_starts));
    gw.stop();
    return 0;
}

}  // namespace

command add_gateway_command(CLI::App& parent) {
    auto a = std::make_shared<gateway_args>();
    a->opts.integration_timeout_ms = 29000;
    auto* cmd = parent.add_subcommand(
        "gateway",
        "Local API Gateway WebSocket API whose routes run Lambda functions out of process "
        "(any language) through the Lambda Runtime API");
    cmd->add_option("--route", a->routes,
                    "ROUTE=path/to/bootstrap (repeatable; the same path is the same function)");
    cmd->add_option("--two-way", a->two_way, "route key with a route response (repeatable)");
    cmd->add_option("--handler", a->handler,
                    "_HANDLER of the --route functions (e.g. index.handler for a Node.js "
                    "bootstrap running aws-lambda-ric); default: bootstrap");
    cmd->add_option("--template", a->template_file,
                    "SAM/CloudFormation template with the WebSocket API and its functions");
    cmd->add_option("--max-concurrency", a->max_concurrency, "instances per function at most")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    cmd->add_option("--timeout", a->timeout_seconds, "function timeout in seconds")
        ->check(CLI::Range(1, 900))
        ->capture_default_str();
    cmd->add_option("--memory", a->memory_mb, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        ->check(CLI::Range(128, 10240))
        ->capture_default_str();
    cmd->add_option("--env", a->env, "NAME=VALUE for every function (repeatable)");
    cmd->add_option("--init-timeout", a->init_timeout_ms,
                    "milliseconds an instance may take to poll /next")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--region", a->region, "AWS_REGION of the functions (default us-east-1)");
    cmd->add_option("--host", a->opts.host, "address to listen on")->capture_default_str();
    cmd->add_option("--port", a->opts.port, "port; 0 picks a free one")->capture_default_str();
    cmd->add_option("--stage", a->opts.stage, "stage name")->capture_default_str();
    cmd->add_option("--idle-timeout", a->opts.idle_timeout_seconds, "idle seconds before 1001")
        ->capture_default_str();
    cmd->add_option("--max-lifetime", a->opts.max_lifetime_seconds, "connection lifetime seconds")
        ->capture_default_str();
    cmd->add_option("--integration-timeout", a->opts.integration_timeout_ms,
                    "milliseconds before API Gateway gives up on an integration")
        ->check(CLI::Range(50, 29000))
        ->capture_default_str();
    cmd->add_option("--route-selection-expression", a->opts.route_selection_expression,
                    "default $request.body.action");
    cmd->add_option("--log-level", a->log_level, "debug, info, warn, error")->capture_default_str();
    cmd->add_option("--authorizer", a->authorizer,
                    "Lambda REQUEST authorizer on $connect: a function of --template by name, or "
                    "path/to/bootstrap (replaces the template's)");
    cmd->add_option("--identity-source", a->identity_sources,
                    "route.request.header.NAME or route.request.querystring.NAME the authorizer "
                    "needs; missing or empty -> 401 without invoking it (repeatable; replaces "
                    "the template's IdentitySource)");
    cmd->add_option("--allowed-origin", a->allowed_origins,
                    "Origin allowed to open a WebSocket, e.g. https://app.example.com "
                    "(repeatable; others get 403; default: any) [LIFT_ALLOWED_ORIGINS, "
                    "comma-separated]");
    cmd->add_flag("--require-origin", a->require_origin,
                  "with --allowed-origin: refuse handshakes without an Origin header too");
    return [a] {
        return run_gateway(*a);
    };
}

}  // namespace lift::tool
