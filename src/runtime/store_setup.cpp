#include "store_setup.hpp"

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/ascii.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/memory_store.hpp>

namespace lift::runtime::detail {

namespace {

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

aws::credentials local_dummy_credentials() {
    return {"LIFTLOCALDUMMYKEY", "lift-local-dummy-secret-not-used-for-verification", ""};
}

result<void> store_settings_from(const aws::environment& env, store_settings& settings) {
    if (auto v = env.get("LIFT_CONNECTION_STORE"); v && !v->empty()) {
        settings.kind = *v;
    }
    if (auto v = env.get("LIFT_DYNAMODB_TABLE"); v && !v->empty()) {
        settings.table = *v;
    }
    if (auto v = env.get("LIFT_DYNAMODB_CREATE_TABLE"); v && !v->empty()) {
        const std::string text = ascii::lower(*v);
        if (text == "1" || text == "true" || text == "yes" || text == "on") {
            settings.create_table = true;
        } else if (text == "0" || text == "false" || text == "no" || text == "off") {
            settings.create_table = false;
        } else {
            return fail(errc::invalid_argument,
                        fmt::format("LIFT_DYNAMODB_CREATE_TABLE='{}' is not a boolean (1/0, "
                                    "true/false, yes/no, on/off)",
                                    *v));
        }
    }
    return {};
}

result<void> install_store(app& application,
                           const aws::environment& env,
                           const store_settings& settings,
                           std::string& description) {
    if (!settings.kind.empty() && settings.kind != "memory" && settings.kind != "dynamodb") {
        return fail(errc::invalid_argument,
                    fmt::format("unknown connection store '{}' (memory, dynamodb)", settings.kind));
    }
    description = "application-provided store";
    if (settings.kind == "dynamodb") {
        auto store = make_dynamodb_store(env, settings, description);
        if (!store) {
            return store.error();
        }
        application.use_store(std::move(*store));
    } else if (settings.kind == "memory" || application.store() == nullptr) {
        application.use_store(std::make_unique<memory_store>());
        description = "in-memory store";
    }
    return {};
}

int store_failure_status(const error& e) noexcept {
    return e.code == condition::invalid || e.code == condition::not_found ||
                   e.code == condition::auth
               ? 2
               : 1;
}

}  // namespace lift::runtime::detail
