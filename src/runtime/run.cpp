#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <lift/aws/config.hpp>
#include <lift/aws/http.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/aws/sigv4_verifier.hpp>
#include <lift/core/ascii.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/metrics.hpp>
#include <lift/runtime/lambda.hpp>
#include <lift/runtime/run.hpp>

#include "store_setup.hpp"

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

// Reads a boolean LIFT_<NAME> (1/true/yes/on, 0/false/no/off).
bool bool_from_env(const char* name, bool& target, std::string& problem) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        return true;
    }
    const std::string text = ascii::lower(v);
    if (text == "1" || text == "true" || text == "yes" || text == "on") {
        target = true;
    } else if (text == "0" || text == "false" || text == "no" || text == "off") {
        target = false;
    } else {
        problem =
            fmt::format("{}='{}' is not a boolean (1/0, true/false, yes/no, on/off)", name, v);
        return false;
    }
    return true;
}

}  // namespace

int run(app& application, int argc, char** argv, run_options ro) {
    if (const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API"); api != nullptr && *api != '\0') {
        // A Lambda bootstrap: the Runtime API drives the app; flags are not used there.
        const aws::process_environment lambda_env;
        return runtime::run_lambda(application, lambda_env);
    }

    gateway::options opts;
    std::string problem;
    std::string level_text = "info";
    bool verify_sigv4 = false;
    std::string management_mode = "direct";
    runtime::detail::store_settings store_choice;
    std::string origins_text;
    bool ok =
        from_env("LIFT_HOST", opts.host, problem) && from_env("LIFT_PORT", opts.port, problem) &&
        from_env("LIFT_STAGE", opts.stage, problem) &&
        from_env("LIFT_IDLE_TIMEOUT", opts.idle_timeout_seconds, problem) &&
        from_env("LIFT_MAX_LIFETIME", opts.max_lifetime_seconds, problem) &&
        from_env("LIFT_INTEGRATION_TIMEOUT", opts.integration_timeout_ms, problem) &&
        from_env("LIFT_WORKERS", opts.workers, problem) &&
        from_env("LIFT_ROUTE_SELECTION_EXPRESSION", opts.route_selection_expression, problem) &&
        from_env("LIFT_STATIC", opts.static_dir, problem) &&
        from_env("LIFT_LOG_LEVEL", level_text, problem) &&
        bool_from_env("LIFT_VERIFY_SIGV4", verify_sigv4, problem) &&
        from_env("LIFT_MANAGEMENT_MODE", management_mode, problem) &&
        from_env("LIFT_CONNECTION_STORE", store_choice.kind, problem) &&
        from_env("LIFT_DYNAMODB_TABLE", store_choice.table, problem) &&
        bool_from_env("LIFT_DYNAMODB_CREATE_TABLE", store_choice.create_table, problem) &&
        from_env("LIFT_ALLOWED_ORIGINS", origins_text, problem) &&
        from_env("LIFT_MAX_FRAME_BYTES", opts.max_frame_bytes, problem) &&
        from_env("LIFT_MAX_MESSAGE_BYTES", opts.max_message_bytes, problem) &&
        bool_from_env("LIFT_REQUIRE_ORIGIN", opts.require_origin, problem);
    if (!ok) {
        std::fprintf(stderr, "lift: %s\n", problem.c_str());
        return 2;
    }

    const std::string name =
        !ro.program_name.empty() ? ro.program_name : (argc > 0 ? argv[0] : "lift-app");
    CLI::App cli{ro.description.empty() ? "A Lift WebSocket application" : ro.description, name};
    cli.footer(
        "Runs the application on a local API Gateway (WebSocket API) with an in-memory "
        "connection store, or a DynamoDB one (--connection-store dynamodb).\nEvery option can also "
        "be set as an environment variable (shown in "
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
    cli.add_option(
           "--max-frame-bytes", opts.max_frame_bytes,
           "Largest client frame; larger closes with 1009. AWS: 32768 [LIFT_MAX_FRAME_BYTES]")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{125}, std::size_t{64} << 20));
    cli.add_option("--max-message-bytes", opts.max_message_bytes,
                   "Largest client message; larger closes with 1009. AWS: 131072 "
                   "[LIFT_MAX_MESSAGE_BYTES]")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{125}, std::size_t{64} << 20));
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
    cli.add_flag("--verify-sigv4,!--no-verify-sigv4", verify_sigv4,
                 "Require a valid SigV4 signature (service execute-api, this region, the "
                 "configured AWS credentials) on every @connections request [LIFT_VERIFY_SIGV4]")
        ->capture_default_str();
    cli.add_option("--management-mode", management_mode,
                   "How handlers reach @connections: direct (in-process) or http (the AWS "
                   "client through this gateway's HTTP endpoint, or "
                   "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI / AWS_ENDPOINT_URL) "
                   "[LIFT_MANAGEMENT_MODE]")
        ->capture_default_str();
    cli.add_option("--connection-store", store_choice.kind,
                   "Where connection records live: memory (default unless the app set a store) "
                   "or dynamodb (table --dynamodb-table at AWS_ENDPOINT_URL_DYNAMODB / "
                   "AWS_ENDPOINT_URL, else AWS in AWS_REGION) [LIFT_CONNECTION_STORE]");
    cli.add_option("--dynamodb-table", store_choice.table,
                   "DynamoDB table of the dynamodb store (see `lift table create`) "
                   "[LIFT_DYNAMODB_TABLE]");
    cli.add_flag("--create-table,!--no-create-table", store_choice.create_table,
                 "Create the DynamoDB table (and enable TTL) if it does not exist "
                 "[LIFT_DYNAMODB_CREATE_TABLE]");
    std::vector<std::string> origins;
    cli.add_option("--allowed-origin", origins,
                   "Origin allowed to open a WebSocket, e.g. https://app.example.com; others get "
                   "403 (repeatable; default: any) [LIFT_ALLOWED_ORIGINS, comma-separated]");
    cli.add_flag("--require-origin,!--no-require-origin", opts.require_origin,
                 "With --allowed-origin: also refuse handshakes without an Origin header "
                 "[LIFT_REQUIRE_ORIGIN]")
        ->capture_default_str();
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    if (origins.empty()) {
        // LIFT_ALLOWED_ORIGINS: comma-separated, blanks around items ignored.
        std::size_t start = 0;
        while (start <= origins_text.size()) {
            auto end = origins_text.find(',', start);
            if (end == std::string::npos) {
                end = origins_text.size();
            }
            std::string item = origins_text.substr(start, end - start);
            item.erase(0, item.find_first_not_of(" \t"));
            item.erase(item.find_last_not_of(" \t") + 1);
            if (!item.empty()) {
                origins.push_back(std::move(item));
            }
            start = end + 1;
        }
    }
    opts.allowed_origins = std::move(origins);
    opts.authorizer = ro.authorizer;
    const auto level = parse_log_level(level_text);
    if (!level) {
        std::fprintf(stderr, "lift: unknown log level '%s' (debug, info, warn, error)\n",
                     level_text.c_str());
        return 2;
    }
    opts.level = *level;
    // Metrics of the in-process app (GET /_lift/metrics; EMF on stderr at debug).
    auto metrics_settings = metrics_config_from([](std::string_view var) {
        const char* v = std::getenv(std::string{var}.c_str());
        return v != nullptr ? std::optional<std::string>{v} : std::nullopt;
    });
    if (!metrics_settings) {
        std::fprintf(stderr, "lift: %s\n", metrics_settings.error().message.c_str());
        return 2;
    }
    opts.metrics = std::move(*metrics_settings);
    if (management_mode != "direct" && management_mode != "http") {
        std::fprintf(stderr, "lift: unknown management mode '%s' (direct, http)\n",
                     management_mode.c_str());
        return 2;
    }

    // AWS settings for --verify-sigv4 and the http management mode. Rules: verification needs
    // configured credentials (it checks the request was signed with exactly them); the http
    // mode signs with the configured credentials, or with dummy ones when there are none
    // (which is only possible with verification off). Both use the resolved region.
    const aws::process_environment env;
    const std::string region = aws::resolve_region(env).value_or("us-east-1");
    auto resolved = aws::resolve_credentials(env);
    const system_clock wall_clock;
    std::unique_ptr<aws::sigv4_verifier> verifier;
    if (verify_sigv4) {
        if (!resolved) {
            std::fprintf(stderr,
                         "lift: --verify-sigv4 needs AWS credentials to verify against: %s\n",
                         resolved.error().message.c_str());
            return 2;
        }
        verifier = std::make_unique<aws::sigv4_verifier>(
            aws::sigv4_verifier_config{.credentials = *resolved, .region = region}, wall_clock);
        opts.authorize_management = [&verifier](const gateway::management_call& call)
            -> std::optional<gateway::management_refusal> {
            std::vector<aws::header> headers;
            headers.reserve(call.headers.size());
            for (const auto& [header_name, header_value] : call.headers) {
                headers.push_back({std::string{header_name}, std::string{header_value}});
            }
            auto no = verifier->check({call.method, call.target, headers, call.body});
            if (!no) {
                return std::nullopt;
            }
            boost::json::object body;
            body["message"] = no->message;
            return gateway::management_refusal{403, no->error_type, boost::json::serialize(body)};
        };
    }
    std::unique_ptr<aws::http_client> http;
    std::string management_target;
    if (management_mode == "http") {
        auto client = aws::http_client::create({});
        if (!client) {
            std::fprintf(stderr, "lift: %s\n", client.error().message.c_str());
            return 1;
        }
        http = std::move(*client);
        const aws::credentials signing =
            resolved ? *resolved : runtime::detail::local_dummy_credentials();
        opts.handler_connection_api =
            [&, signing](const std::string& own_url,
                         connection_api&) -> result<std::unique_ptr<connection_api>> {
            const std::string url =
                aws::resolve_endpoint(env, aws::management_api_endpoint_suffix).value_or(own_url);
            auto target = aws::parse_endpoint(url);
            if (!target) {
                return lift::error{target.error().code, fmt::format("management endpoint '{}': {}",
                                                                    url, target.error().message)};
            }
            management_target = target->url();
            aws::management_config config;
            config.target = std::move(*target);
            config.region = region;
            config.credentials = signing;
            return std::unique_ptr<connection_api>{
                std::make_unique<aws::management_client>(*http, std::move(config))};
        };
    }
    for (auto& [path, file] : ro.static_files) {
        opts.static_files.emplace(path, file);
    }

    // The store: an explicit choice replaces the app's own; otherwise the app's, else memory.
    std::string store_kind;
    if (auto installed = runtime::detail::install_store(application, env, store_choice, store_kind);
        !installed) {
        std::fprintf(stderr, "lift: %s\n", installed.error().message.c_str());
        return runtime::detail::store_failure_status(installed.error());
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
        "  @connections: {}/@connections/{{connectionId}}{}\n"
        "  Handlers send {}\n"
        "Press Ctrl+C to stop.\n",
        opts.stage, store_kind, gw.websocket_url(), gw.http_url(), gw.management_url(),
        verify_sigv4 ? fmt::format(" (SigV4 verified, region {})", region) : std::string{},
        management_mode == "http"
            ? fmt::format("over HTTP to {} (LIFT_MANAGEMENT_MODE=http)", management_target)
            : std::string{"in-process (LIFT_MANAGEMENT_MODE=direct)"});
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    gw.wait();
    std::fflush(stdout);
    return 0;
}

}  // namespace lift
