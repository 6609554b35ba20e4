#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <lift/core/memory_store.hpp>
#include <lift/runtime/run.hpp>

namespace lift {

namespace {

// Reads LIFT_<NAME> into `target` when set; returns false (with a message) when it does not
// parse.
template <class T>
bool from_env(const char* name, T& target, std::string& problem) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        return true;
    }
    try {
        if constexpr (std::is_same_v<T, std::string>) {
            target = v;
        } else {
            std::size_t used = 0;
            const long long n = std::stoll(v, &used);
            if (used != std::string{v}.size() || n < 0) {
                throw std::invalid_argument{"not a number"};
            }
            target = static_cast<T>(n);
        }
    } catch (const std::exception&) {
        problem = fmt::format("{}='{}' is not a valid value", name, v);
        return false;
    }
    return true;
}

}  // namespace

int run(app& application, int argc, char** argv, run_options ro) {
    if (const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API"); api != nullptr && *api != '\0') {
        std::fprintf(stderr,
                     "lift: AWS_LAMBDA_RUNTIME_API is set (%s), but this build of Lift has no "
                     "Lambda runtime loop yet.\n"
                     "lift: unset AWS_LAMBDA_RUNTIME_API to run the local gateway instead.\n",
                     api);
        return 3;
    }

    gateway::options opts;
    std::string problem;
    std::string level_text = "info";
    bool ok =
        from_env("LIFT_HOST", opts.host, problem) && from_env("LIFT_PORT", opts.port, problem) &&
        from_env("LIFT_STAGE", opts.stage, problem) &&
        from_env("LIFT_IDLE_TIMEOUT", opts.idle_timeout_seconds, problem) &&
        from_env("LIFT_MAX_LIFETIME", opts.max_lifetime_seconds, problem) &&
        from_env("LIFT_INTEGRATION_TIMEOUT", opts.integration_timeout_ms, problem) &&
        from_env("LIFT_WORKERS", opts.workers, problem) &&
        from_env("LIFT_ROUTE_SELECTION_EXPRESSION", opts.route_selection_expression, problem) &&
        from_env("LIFT_STATIC", opts.static_dir, problem) &&
        from_env("LIFT_LOG_LEVEL", level_text, problem);
    if (!ok) {
        std::fprintf(stderr, "lift: %s\n", problem.c_str());
        return 2;
    }

    const std::string name =
        !ro.program_name.empty() ? ro.program_name : (argc > 0 ? argv[0] : "lift-app");
    CLI::App cli{ro.description.empty() ? "A Lift WebSocket application" : ro.description, name};
    cli.footer(
        "Runs the application on a local API Gateway (WebSocket API) with an in-memory "
        "connection store.\nEvery option can also be set as an environment variable (shown in "
        "brackets); the flag wins.\nWith AWS_LAMBDA_RUNTIME_API set the program is meant to run "
        "as a Lambda bootstrap.");
    cli.add_option("--host", opts.host, "Address to listen on [LIFT_HOST]")->capture_default_str();
    cli.add_option("--port", opts.port, "Port; 0 picks a free one [LIFT_PORT]")
        ->capture_default_str();
    cli.add_option("--stage", opts.stage, "Stage name: ws://HOST:PORT/STAGE [LIFT_STAGE]")
        ->capture_default_str();
    cli.add_option("--idle-timeout", opts.idle_timeout_seconds,
                   "Seconds without messages before a connection is closed (1001) "
                   "[LIFT_IDLE_TIMEOUT]")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cli.add_option("--max-lifetime", opts.max_lifetime_seconds,
                   "Maximum connection age in seconds (1001) [LIFT_MAX_LIFETIME]")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cli.add_option("--integration-timeout", opts.integration_timeout_ms,
                   "Milliseconds a handler may take before it counts as failed, 50-29000 on AWS "
                   "[LIFT_INTEGRATION_TIMEOUT]")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{50}, std::int64_t{3600000}));
    cli.add_option("--workers", opts.workers,
                   "Maximum concurrent handler invocations (Lambda instances); 0 = CPU count "
                   "[LIFT_WORKERS]")
        ->capture_default_str();
    cli.add_option("--route-selection-expression", opts.route_selection_expression,
                   "Route selection expression, default $request.body.action "
                   "[LIFT_ROUTE_SELECTION_EXPRESSION]");
    cli.add_option("--static", opts.static_dir, "Serve files from DIR at / [LIFT_STATIC]")
        ->check(CLI::ExistingDirectory);
    cli.add_option("--log-level", level_text, "debug, info, warn or error [LIFT_LOG_LEVEL]")
        ->capture_default_str();
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    const auto level = parse_log_level(level_text);
    if (!level) {
        std::fprintf(stderr, "lift: unknown log level '%s' (debug, info, warn, error)\n",
                     level_text.c_str());
        return 2;
    }
    opts.level = *level;
    for (auto& [path, file] : ro.static_files) {
        opts.static_files.emplace(path, file);
    }

    std::string store_kind = "application-provided store";
    if (application.store() == nullptr) {
        application.use_store(std::make_unique<memory_store>());
        store_kind = "in-memory store";
    }
    auto started = gateway::gateway::start(application, opts);
    if (!started) {
        std::fprintf(stderr, "lift: %s\n", started.error().message.c_str());
        return 1;
    }
    auto& gw = **started;
    gw.handle_signals();
    const std::string out = fmt::format(
        "Lift local gateway (stage {}, {})\n"
        "  WebSocket:    {}\n"
        "  Page:         {}\n"
        "  @connections: {}/@connections/{{connectionId}}\n"
        "Press Ctrl+C to stop.\n",
        opts.stage, store_kind, gw.websocket_url(), gw.http_url(), gw.management_url());
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    gw.wait();
    std::fflush(stdout);
    return 0;
}

}  // namespace lift
