// Test helper: writes N deterministic connection records through dynamodb_store, so that
// tests/interop/store_readback_test.py can read them back with boto3 and the AWS CLI.
//
//   store_writer --endpoint http://127.0.0.1:PORT --table T --count N
//
// Credentials and region come from the environment (AWS_ACCESS_KEY_ID, ...). Record i:
//   id "w<iii>-AbC=", connectedAt = start + i (start = now in ms, printed), default TTL,
//   subject "user-<i % 3>" (none when i % 3 == 0), tenant "tenant-a" when i is even,
//   roles ["role-x", "role-<i>"], claims {email, n: i, admin: i even, nested: {k: "v"}},
//   metadata {room: "room-<i % 4>", index: "<i>"}, sourceIp "192.0.2.<i % 250>",
//   userAgent "store-writer/1.0", stage "dev", domainName "localhost".
// Prints "start_ms=<start>" then "wrote <N> records to <T>"; exit 1 on any error.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <lift/aws/config.hpp>
#include <lift/aws/dynamodb.hpp>
#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/http.hpp>

namespace {

int usage() {
    std::fprintf(stderr, "usage: store_writer --endpoint URL --table NAME --count N\n");
    return 2;
}

std::string three_digits(int i) {
    auto s = std::to_string(i);
    return std::string(s.size() < 3 ? 3 - s.size() : 0, '0') + s;
}

}  // namespace

int main(int argc, char** argv) {
    std::string endpoint_url;
    std::string table;
    int count = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag{argv[i]};
        if (flag == "--endpoint") {
            endpoint_url = argv[i + 1];
        } else if (flag == "--table") {
            table = argv[i + 1];
        } else if (flag == "--count") {
            count = std::atoi(argv[i + 1]);
        } else {
            return usage();
        }
    }
    if (endpoint_url.empty() || table.empty() || count < 0 || argc % 2 == 0) {
        return usage();
    }
    lift::aws::process_environment env;
    auto creds = lift::aws::resolve_credentials(env);
    if (!creds) {
        std::fprintf(stderr, "store_writer: %s\n", creds.error().message.c_str());
        return 1;
    }
    auto ep = lift::aws::parse_endpoint(endpoint_url);
    if (!ep) {
        std::fprintf(stderr, "store_writer: %s\n", ep.error().message.c_str());
        return 1;
    }
    auto http = lift::aws::http_client::create({});
    if (!http) {
        std::fprintf(stderr, "store_writer: %s\n", http.error().message.c_str());
        return 1;
    }
    lift::aws::dynamodb_config config;
    config.region = lift::aws::resolve_region(env).value_or("us-east-1");
    config.endpoint_override = *ep;
    config.credentials = *creds;
    lift::aws::dynamodb_client ddb{**http, config};
    lift::system_clock clock;
    lift::aws::dynamodb_store store{ddb, table, clock};

    const std::int64_t start = clock.now_ms();
    std::printf("start_ms=%lld\n", static_cast<long long>(start));
    for (int i = 0; i < count; ++i) {
        lift::connection_record r;
        r.connection_id = "w" + three_digits(i) + "-AbC=";
        r.connected_at = start + i;
        r.source_ip = "192.0.2." + std::to_string(i % 250);
        r.user_agent = "store-writer/1.0";
        r.stage = "dev";
        r.domain_name = "localhost";
        if (i % 3 != 0) {
            r.identity.subject = "user-" + std::to_string(i % 3);
        }
        if (i % 2 == 0) {
            r.identity.tenant = "tenant-a";
        }
        r.identity.roles = {"role-x", "role-" + std::to_string(i)};
        r.identity.claims.emplace("email", "u" + std::to_string(i) + "@example.com");
        r.identity.claims.emplace("n", i);
        r.identity.claims.emplace("admin", i % 2 == 0);
        r.identity.claims.emplace("nested", boost::json::object{{"k", "v"}});
        r.metadata = {{"room", "room-" + std::to_string(i % 4)}, {"index", std::to_string(i)}};
        if (auto saved = store.save(r); !saved) {
            std::fprintf(stderr, "store_writer: %s\n", saved.error().message.c_str());
            return 1;
        }
    }
    std::printf("wrote %d records to %s\n", count, table.c_str());
    return 0;
}
