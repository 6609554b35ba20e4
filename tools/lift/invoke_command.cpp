// `lift invoke`: one invocation of a bootstrap through the Lambda Runtime API, printing the
// response (as `sam local invoke` does).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <lift/core/log.hpp>
#include <lift/gateway/function_host.hpp>

#include "commands.hpp"

namespace lift::tool {

namespace {

struct invoke_args {
    std::string event_file;
    std::string bootstrap;
    std::string name;
    std::vector<std::string> env;
    int timeout_seconds = 3;
    int memory_mb = 128;
    std::string region;
    std::string log_level = "warn";
};

int run_invoke(const invoke_args& a) {
    std::string event = "{}";
    if (a.event_file == "-") {
        event.assign(std::istreambuf_iterator<char>{std::cin}, std::istreambuf_iterator<char>{});
    } else if (!a.event_file.empty()) {
        std::ifstream in{a.event_file, std::ios::binary};
        if (!in) {
            std::fprintf(stderr, "lift invoke: cannot read event file '%s'\n",
                         a.event_file.c_str());
            return 2;
        }
        std::ostringstream s;
        s << in.rdbuf();
        event = s.str();
    }
    auto level = parse_log_level(a.log_level);
    if (!level) {
        std::fprintf(stderr, "lift invoke: unknown log level '%s'\n", a.log_level.c_str());
        return 2;
    }
    gateway::function_config f;
    const std::filesystem::path p{a.bootstrap};
    f.name = !a.name.empty() ? a.name
             : p.filename() == "bootstrap" && p.has_parent_path()
                 ? p.parent_path().filename().string()
                 : p.stem().string();
    f.command = {a.bootstrap};
    f.timeout_seconds = a.timeout_seconds;
    f.memory_mb = a.memory_mb;
    f.max_concurrency = 1;
    for (const auto& kv : a.env) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "lift invoke: --env wants NAME=VALUE, got '%s'\n", kv.c_str());
            return 2;
        }
        f.environment[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    gateway::function_host_options opts;
    opts.level = *level;
    if (!a.region.empty()) {
        opts.region = a.region;
    }
    const std::string name = f.name;
    auto host = gateway::function_host::start({std::move(f)}, opts);
    if (!host) {
        std::fprintf(stderr, "lift invoke: %s\n", host.error().message.c_str());
        return 2;
    }
    auto r = (*host)->invoke(name, std::move(event));
    (*host)->stop();
    std::fwrite(r.payload.data(), 1, r.payload.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (r.failed) {
        std::fprintf(stderr, "lift invoke: function %s failed (%s), request id %s\n", name.c_str(),
                     r.error_type.c_str(), r.request_id.c_str());
        return 1;
    }
    return 0;
}

}  // namespace

command add_invoke_command(CLI::App& parent) {
    auto a = std::make_shared<invoke_args>();
    auto* cmd = parent.add_subcommand(
        "invoke", "Invoke a bootstrap once through the Lambda Runtime API and print the response");
    cmd->add_option("bootstrap", a->bootstrap, "path to the function's bootstrap executable")
        ->required();
    cmd->add_option("--event,-e", a->event_file, "event JSON file ('-' = stdin; default {})");
    cmd->add_option("--function-name", a->name, "AWS_LAMBDA_FUNCTION_NAME (default from path)");
    cmd->add_option("--env", a->env, "NAME=VALUE (repeatable)");
    cmd->add_option("--timeout", a->timeout_seconds, "function timeout in seconds")
        ->check(CLI::Range(1, 900))
        ->capture_default_str();
    cmd->add_option("--memory", a->memory_mb, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        ->check(CLI::Range(128, 10240))
        ->capture_default_str();
    cmd->add_option("--region", a->region, "AWS_REGION (default us-east-1)");
    cmd->add_option("--log-level", a->log_level, "host diagnostics on stderr")
        ->capture_default_str();
    return [a] {
        return run_invoke(*a);
    };
}

}  // namespace lift::tool
