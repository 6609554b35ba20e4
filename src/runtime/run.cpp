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
#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/http.hpp>
#include <lift/aws/management_api.hpp>
#include <lift/aws/sigv4_verifier.hpp>
#include <lift/core/ascii.hpp>
#include <lift/core/clock.hpp>
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

// Credentials the http management mode signs with when none are configured (verification is
// then necessarily off: --verify-sigv4 requires configured credentials).
aws::credentials local_dummy_credentials() {
    return {"LIFTLOCALDUMMYKEY", "lift-local-dummy-secret-not-used-for-verification", ""};
}

// The DynamoDB store together with the clients it uses. The app owns its store (and may outlive
// this call), so the store owns its HTTP and DynamoDB clients.
class owned_dynamodb_store final : public connection_store {
public:
    owned_dynamodb_store(std::unique_ptr<aws::http_client> http,
                         aws::dynamodb_config config,
                         std::string table)
        : http_(std::move(http)),
          client_(*http_, std::move(config)),
          store_(client_, std::move(table), clock_) {}

    aws::dynamodb_client& client() noexcept { return client_; }

    result<void> save(const connection_record& record) override { return store_.save(record); }

    result<std::optional<connection_record>> get(std::string_view id) override {
        return store_.get(id);
    }

    result<void> update(const connection_record& record) override { return store_.update(record); }

    result<void> remove(std::string_view id) override { return store_.remove(id); }

    result<std::vector<connection_record>> list_by_user(std::string_view user) override {
        return store_.list_by_user(user);
    }

    result<std::vector<connection_record>> list_by_tenant(std::string_view tenant) override {
        return store_.list_by_tenant(tenant);
    }

    result<std::vector<connection_record>> list_all() override { return store_.list_all(); }

    result<std::size_t> count() override { return store_.count(); }

private:
    system_clock clock_;
    std::unique_ptr<aws::http_client> http_;
    aws::dynamodb_client client_;
    aws::dynamodb_store store_;
};

// Settings of the DynamoDB store from flags/environment.
struct store_settings {
    std::string kind;  // "" (not chosen: the app's store or memory), "memory" or "dynamodb"
    std::string table;
    bool create_table = false;
};

// Builds the DynamoDB store: credentials (dummy ones only for an endpoint override, i.e. a
// local DynamoDB), region, endpoint, then checks (or creates) the table. On failure prints why
// and returns the exit status.
result<std::unique_ptr<owned_dynamodb_store>> make_dynamodb_store(const aws::environment& env,
                                                                  const store_settings& settings,
                                                                  std::string& description) {
    if (settings.table.empty()) {
        return lift::error{errc::invalid_argument,
                           "LIFT_CONNECTION_STORE=dynamodb needs a table: set LIFT_DYNAMODB_TABLE "
                           "or --dynamodb-table (create it with `lift table create --name T`)"};
    }
    aws::dynamodb_config config;
    config.region = aws::resolve_region(env).value_or("us-east-1");
    if (const auto url = aws::resolve_endpoint(env, aws::dynamodb_endpoint_suffix)) {
        auto ep = aws::parse_endpoint(*url);
        if (!ep) {
            return lift::error{ep.error().code,
                               fmt::format("DynamoDB endpoint '{}': {}", *url, ep.error().message)};
        }
        config.endpoint_override = std::move(*ep);
    }
    if (auto creds = aws::resolve_credentials(env)) {
        config.credentials = std::move(*creds);
    } else if (config.endpoint_override) {
        config.credentials = local_dummy_credentials();  // local DynamoDB: any key is accepted
    } else {
        return lift::error{creds.error().code,
                           "the DynamoDB store needs AWS credentials: " + creds.error().message};
    }
    auto http = aws::http_client::create({});
    if (!http) {
        return http.error();
    }
    auto store = std::make_unique<owned_dynamodb_store>(std::move(*http), config, settings.table);
    const std::string where = store->client().target().url();
    if (settings.create_table) {
        aws::connection_table_options table_options;
        table_options.require_ttl = false;  // dynalite has no UpdateTimeToLive; AWS does
        auto report = aws::create_connection_table(store->client(), settings.table, table_options);
        if (!report) {
            return lift::error{report.error().code,
                               fmt::format("creating table '{}' at {}: {}", settings.table, where,
                                           report.error().message)};
        }
        description =
            fmt::format("DynamoDB store: table {} at {}, {}, TTL {}", settings.table, where,
                        report->created ? "created" : "existing", report->ttl_status);
        return store;
    }
    auto described = store->client().describe_table(settings.table);
    if (!described) {
        if (described.error().code == aws::errc::resource_not_found) {
            return lift::error{described.error().code,
                               fmt::format("table '{}' does not exist at {}; create it with `lift "
                                           "table create --name {}` or pass --create-table",
                                           settings.table, where, settings.table)};
        }
        return lift::error{described.error().code,
                           fmt::format("DynamoDB table '{}' at {}: {}", settings.table, where,
                                       described.error().message)};
    }
    description = fmt::format("DynamoDB store: table {} at {}", settings.table, where);
    return store;
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
    bool verify_sigv4 = false;
    std::string management_mode = "direct";
    store_settings store_choice;
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
        bool_from_env("LIFT_DYNAMODB_CREATE_TABLE", store_choice.create_table, problem);
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
    if (!store_choice.kind.empty() && store_choice.kind != "memory" &&
        store_choice.kind != "dynamodb") {
        std::fprintf(stderr, "lift: unknown connection store '%s' (memory, dynamodb)\n",
                     store_choice.kind.c_str());
        return 2;
    }
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
        const aws::credentials signing = resolved ? *resolved : local_dummy_credentials();
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
    std::string store_kind = "application-provided store";
    if (store_choice.kind == "dynamodb") {
        auto store = make_dynamodb_store(env, store_choice, store_kind);
        if (!store) {
            std::fprintf(stderr, "lift: %s\n", store.error().message.c_str());
            return store.error().code == condition::invalid ||
                           store.error().code == condition::not_found ||
                           store.error().code == condition::auth
                       ? 2
                       : 1;
        }
        application.use_store(std::move(*store));
    } else if (store_choice.kind == "memory" || application.store() == nullptr) {
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
