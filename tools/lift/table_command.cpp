// `lift table create|describe`: the DynamoDB table of the connection store, on AWS or on any
// endpoint (moto_server, dynalite, DynamoDB Local).
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <lift/aws/config.hpp>
#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/error.hpp>

#include "commands.hpp"

namespace lift::tool {

namespace {

// Exit statuses (also in --help).
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;    // the service or the network failed
constexpr int exit_config = 2;    // credentials, region, endpoint or name missing or unusable
constexpr int exit_layout = 3;    // the table exists with another layout / TTL attribute
constexpr int exit_timeout = 4;   // not ACTIVE within --wait
constexpr int exit_no_table = 5;  // describe: no such table

constexpr const char* exit_help =
    "Exit status: 0 done; 1 the service or network failed (the message names the AWS error);\n"
    "2 credentials, region, endpoint or table name missing or refused as invalid; 3 the table\n"
    "exists with another"
    " key schema, index layout or TTL attribute; 4 the table was not ACTIVE within --wait;\n"
    "5 (describe) no such table.\n"
    "Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], else the shared\n"
    "files with AWS_PROFILE. Region: --region, else AWS_REGION/AWS_DEFAULT_REGION/profile\n"
    "(us-east-1 when --endpoint is given). Endpoint: --endpoint, else AWS_ENDPOINT_URL_DYNAMODB\n"
    "or AWS_ENDPOINT_URL, else https://dynamodb.REGION.amazonaws.com.";

struct table_args {
    std::string name;
    std::string endpoint;
    std::string region;
    int wait_seconds = 120;
    bool allow_no_ttl = false;
};

void say_error(const char* what, const std::string& message) {
    std::fprintf(stderr, "lift table %s: %s\n", what, message.c_str());
}

// The pieces every subcommand needs, or an exit status.
struct connection {
    std::unique_ptr<aws::http_client> http;
    std::unique_ptr<aws::dynamodb_client> ddb;
};

std::optional<connection> connect(const table_args& a, const char* what, int& status) {
    aws::process_environment env;
    std::optional<std::string> url;
    if (!a.endpoint.empty()) {
        url = a.endpoint;
    } else {
        url = aws::resolve_endpoint(env, aws::dynamodb_endpoint_suffix);
    }
    std::string region = a.region;
    if (region.empty()) {
        region = aws::resolve_region(env).value_or(url ? "us-east-1" : "");
    }
    if (region.empty()) {
        say_error(what, "no region: pass --region or set AWS_REGION");
        status = exit_config;
        return std::nullopt;
    }
    aws::dynamodb_config config;
    config.region = region;
    if (url) {
        auto ep = aws::parse_endpoint(*url);
        if (!ep) {
            say_error(what, fmt::format("endpoint {}: {}", *url, ep.error().message));
            status = exit_config;
            return std::nullopt;
        }
        config.endpoint_override = *ep;
    }
    auto creds = aws::resolve_credentials(env);
    if (!creds) {
        say_error(what, creds.error().message);
        status = exit_config;
        return std::nullopt;
    }
    config.credentials = *creds;
    auto http = aws::http_client::create({});
    if (!http) {
        say_error(what, http.error().message);
        status = exit_config;
        return std::nullopt;
    }
    connection c;
    c.http = std::move(*http);
    c.ddb = std::make_unique<aws::dynamodb_client>(*c.http, config);
    return c;
}

int status_for(const error& e) {
    if (e.code == aws::errc::resource_in_use) {
        return exit_layout;
    }
    if (e.code == aws::errc::validation) {
        return exit_config;
    }
    if (e.code == lift::errc::timeout) {
        return exit_timeout;
    }
    if (e.code == aws::errc::resource_not_found) {
        return exit_no_table;
    }
    return exit_failed;
}

std::string index_names(const aws::table_description& d) {
    std::string out;
    for (const auto& i : d.indexes) {
        out += (out.empty() ? "" : ", ") + i.name + " (" + i.keys.partition_key + ", " +
               i.keys.sort_key + ")";
    }
    return out.empty() ? "none" : out;
}

int create_table(const table_args& a) {
    int status = exit_ok;
    auto c = connect(a, "create", status);
    if (!c) {
        return status;
    }
    fmt::print("creating table {} at {} ...\n", a.name, c->ddb->target().url());
    std::fflush(stdout);
    aws::connection_table_options options;
    options.wait_timeout = std::chrono::seconds{a.wait_seconds};
    options.require_ttl = !a.allow_no_ttl;
    options.progress = [](std::string_view line) {
        fmt::print("  {}\n", line);
        std::fflush(stdout);
    };
    auto r = aws::create_connection_table(*c->ddb, a.name, options);
    if (!r) {
        say_error("create", r.error().message);
        return status_for(r.error());
    }
    const auto& d = r->description;
    fmt::print("table {} {}: {}, billing {}, key ({}, {}), indexes {}\n", a.name,
               r->created ? "created" : "already existed", d.status, d.billing_mode,
               d.keys.partition_key, d.keys.sort_key, index_names(d));
    if (r->ttl_status == "UNSUPPORTED") {
        fmt::print(
            "TTL not enabled: this endpoint does not implement UpdateTimeToLive (reads still "
            "hide expired records)\n");
    } else {
        fmt::print("{}; TTL on attribute {} {} ({})\n", d.status, aws::connection_ttl_attribute,
                   r->ttl_changed ? "enabled" : "already enabled", r->ttl_status);
    }
    return exit_ok;
}

int describe_table(const table_args& a) {
    int status = exit_ok;
    auto c = connect(a, "describe", status);
    if (!c) {
        return status;
    }
    auto d = c->ddb->describe_table(a.name);
    if (!d) {
        if (d.error().code == aws::errc::resource_not_found) {
            say_error("describe",
                      fmt::format("table {} does not exist at {}", a.name, c->ddb->target().url()));
            return exit_no_table;
        }
        say_error("describe", d.error().message);
        return exit_failed;
    }
    fmt::print(
        "table:    {}\nendpoint: {}\nstatus:   {}\nbilling:  {}\nkey:      ({}, {})\n"
        "indexes:  {}\nitems:    {} (approximate on AWS)\n",
        d->name, c->ddb->target().url(), d->status, d->billing_mode, d->keys.partition_key,
        d->keys.sort_key, index_names(*d), d->item_count);
    auto ttl = c->ddb->describe_time_to_live(a.name);
    if (ttl) {
        fmt::print("ttl:      {}\n", *ttl);
    } else {
        fmt::print("ttl:      unknown ({})\n", ttl.error().message);
    }
    return exit_ok;
}

void add_common(CLI::App* sub, table_args& a) {
    sub->add_option("-n,--name", a.name, "table name")->required();
    sub->add_option("--endpoint", a.endpoint,
                    "DynamoDB endpoint URL (e.g. http://127.0.0.1:8000 for a local server)");
    sub->add_option("--region", a.region, "AWS region (signing and the default endpoint)");
    sub->footer(exit_help);
}

}  // namespace

command add_table_command(CLI::App& parent) {
    auto args = std::make_shared<table_args>();
    auto* table = parent.add_subcommand(
        "table", "Create or describe the DynamoDB table of the connection store");
    table->require_subcommand(1);
    auto* create = table->add_subcommand(
        "create",
        "Create the connection table (pk/sk, GSIs gsi1 by user and gsi2 by tenant, on-demand "
        "billing), wait until ACTIVE and enable TTL on `ttl`; an existing table is checked");
    add_common(create, *args);
    create->add_option("--wait", args->wait_seconds, "seconds to wait for ACTIVE")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    create->add_flag("--allow-no-ttl", args->allow_no_ttl,
                     "succeed on endpoints without UpdateTimeToLive (e.g. dynalite)");
    auto* describe = table->add_subcommand("describe", "Show the table's status, keys and TTL");
    add_common(describe, *args);
    return [args, create, describe]() -> int {
        if (create->parsed()) {
            return create_table(*args);
        }
        if (describe->parsed()) {
            return describe_table(*args);
        }
        return exit_config;
    };
}

}  // namespace lift::tool
