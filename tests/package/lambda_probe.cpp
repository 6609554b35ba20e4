// lambda-probe: linked exactly like a Lambda bootstrap (lift_add_lambda), it exercises what the
// static linking and src/lambda/glibc_compat.cpp replace, and prints one line per check:
//   exceptions      thrown and caught across frames (the unwinder's _dl_find_object)
//   random_device   std::random_device draws (libstdc++'s arc4random)
//   getaddrinfo     "localhost" resolves (glibc's NSS files, dynamic)
//   openssl         SHA-256 of "abc" and a TLS client context (static libcrypto/libssl)
//   trust_store     lift::aws::http_client finds a CA bundle (Amazon Linux or Debian path)
//                   and the static OpenSSL parses it
// Exit status 0 when every check passed; the failing check's name otherwise on stderr.
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <lift/aws/http.hpp>

#include <netdb.h>
#include <sys/socket.h>

namespace {

struct probe_error : std::runtime_error {
    int depth;

    probe_error(const std::string& what, int d) : std::runtime_error(what), depth(d) {}
};

int destroyed = 0;

struct guard {
    ~guard() { ++destroyed; }
};

[[gnu::noinline]] int thrower(int depth) {
    guard g;
    if (depth == 0) {
        throw probe_error("deep", depth);
    }
    return thrower(depth - 1) + 1;
}

bool exceptions_work() {
    destroyed = 0;
    int caught = 0;
    try {
        std::function<int()> f = [] {
            return thrower(16);
        };
        (void)f();
    } catch (const probe_error& e) {
        caught += e.depth == 0 ? 1 : 0;
    }
    try {
        try {
            throw std::out_of_range("inner");
        } catch (const std::exception&) {
            throw;  // rethrow the same object
        }
    } catch (const std::out_of_range& e) {
        caught += std::strcmp(e.what(), "inner") == 0 ? 1 : 0;
    }
    try {
        (void)std::string{}.at(3);  // thrown inside libstdc++.a
    } catch (const std::out_of_range&) {
        ++caught;
    }
    return caught == 3 && destroyed == 17;
}

bool random_device_works() {
    std::random_device rd;  // default token: arc4random on this libstdc++
    std::set<unsigned> seen;
    for (int i = 0; i < 8; ++i) {
        seen.insert(rd());
    }
    return seen.size() > 1;
}

bool getaddrinfo_works() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo("localhost", "80", &hints, &res) != 0 || res == nullptr) {
        return false;
    }
    freeaddrinfo(res);
    return true;
}

bool openssl_works() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest("abc", 3, digest, &len, EVP_sha256(), nullptr) != 1 || len != 32) {
        return false;
    }
    static const unsigned char expected[4] = {0xba, 0x78, 0x16, 0xbf};  // SHA-256("abc")
    if (std::memcmp(digest, expected, sizeof expected) != 0) {
        return false;
    }
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    const bool ok = ctx != nullptr;
    SSL_CTX_free(ctx);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--help") == 0) {
        std::puts(
            "lambda-probe: checks exceptions, random_device, getaddrinfo, OpenSSL and the "
            "trust store in a bootstrap-style binary");
        return 0;
    }
    int failed = 0;
    auto check = [&](const char* name, bool ok, const std::string& detail = {}) {
        std::printf("%s %s%s%s\n", name, ok ? "ok" : "FAILED", detail.empty() ? "" : " ",
                    detail.c_str());
        if (!ok) {
            std::fprintf(stderr, "lambda-probe: %s failed\n", name);
            ++failed;
        }
    };
    check("exceptions", exceptions_work());
    check("random_device", random_device_works());
    check("getaddrinfo", getaddrinfo_works());
    check("openssl", openssl_works(), OpenSSL_version(OPENSSL_VERSION));
    // http_client picks the bundle (Amazon Linux's or Debian's path); static OpenSSL parses it.
    auto client = lift::aws::http_client::create({});
    std::string ca_file = client ? (*client)->options().ca_file : client.error().message;
    bool parsed = false;
    if (client && !ca_file.empty()) {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        parsed =
            ctx != nullptr && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) == 1;
        SSL_CTX_free(ctx);
    }
    check("trust_store", parsed, ca_file);
    return failed == 0 ? 0 : 1;
}
