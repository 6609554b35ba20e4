// Throwaway TLS material made at test time with the OpenSSL 3 API: a CA, leaf certificates
// signed by it (chosen DNS/IP subject alternative names) or self-signed, and server SSL_CTXs.
// Nothing is written to the repository; the CA PEM goes to a temp file for `ca_file`.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>

namespace lift::test {

struct pkey_free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

struct x509_free {
    void operator()(X509* p) const { X509_free(p); }
};

struct ssl_ctx_free {
    void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_free>;

inline pkey_ptr make_key() {
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) {
        throw std::runtime_error("EVP_PKEY_Q_keygen failed");
    }
    return key;
}

inline void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) {
        throw std::runtime_error("X509V3_EXT_conf_nid failed");
    }
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

/// A certificate for `key` named `cn`, signed by `issuer`/`issuer_key` (self-signed when
/// `issuer` is null). `san` like "DNS:localhost,IP:127.0.0.1" (empty: none); `ca` marks a CA.
inline x509_ptr make_cert(EVP_PKEY* key,
                          const std::string& cn,
                          const std::string& san,
                          bool ca,
                          X509* issuer,
                          EVP_PKEY* issuer_key) {
    static long serial = 1;
    x509_ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial + static_cast<long>(getpid()));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    add_ext(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
    add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) {
        add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid");
    }
    if (!san.empty()) {
        add_ext(cert.get(), signer, NID_subject_alt_name, san.c_str());
    }
    if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
        throw std::runtime_error("X509_sign failed");
    }
    return cert;
}

/// A server SSL_CTX presenting `cert`/`key`.
inline ssl_ctx_ptr make_server_ctx(X509* cert, EVP_PKEY* key) {
    ssl_ctx_ptr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx || SSL_CTX_use_certificate(ctx.get(), cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), key) != 1) {
        throw std::runtime_error("server SSL_CTX setup failed");
    }
    return ctx;
}

/// A temporary directory removed on destruction.
class temp_dir {
public:
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "lift-http-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }

    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }

    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// Writes `cert` as PEM to `file`.
inline void write_pem(X509* cert, const std::filesystem::path& file) {
    FILE* f = std::fopen(file.c_str(), "w");
    if (f == nullptr) {
        throw std::runtime_error("cannot write " + file.string());
    }
    PEM_write_X509(f, cert);
    std::fclose(f);
}

}  // namespace lift::test
