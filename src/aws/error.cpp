#include <string>
#include <string_view>

#include <lift/aws/error.hpp>
#include <lift/aws/retry.hpp>
#include <lift/core/error.hpp>

namespace lift::aws {

namespace {

constexpr unsigned long long aws_category_id = 0x6c69'6674'6177'7321ULL;  // "liftaws!"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

class aws_category_impl final : public boost::system::error_category {
public:
    constexpr aws_category_impl() noexcept : error_category(aws_category_id) {}

    const char* name() const noexcept override { return "lift.aws"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::connect_failed:
                return "connect failed";
            case errc::tls_failed:
                return "TLS failed";
            case errc::connection_lost:
                return "connection lost";
            case errc::timeout:
                return "timed out";
            case errc::bad_response:
                return "malformed response";
            case errc::bad_endpoint:
                return "unusable endpoint";
            case errc::conditional_check_failed:
                return "conditional check failed";
            case errc::validation:
                return "validation error";
            case errc::resource_not_found:
                return "resource not found";
            case errc::resource_in_use:
                return "resource in use";
            case errc::throughput_exceeded:
                return "provisioned throughput exceeded";
            case errc::throttling:
                return "throttled";
            case errc::request_limit_exceeded:
                return "request limit exceeded";
            case errc::transaction_canceled:
                return "transaction canceled";
            case errc::transaction_conflict:
                return "transaction conflict";
            case errc::item_collection_size_exceeded:
                return "item collection too large";
            case errc::internal_server_error:
                return "internal server error";
            case errc::service_unavailable:
                return "service unavailable";
            case errc::invalid_signature:
                return "invalid signature";
            case errc::unrecognized_client:
                return "unrecognized client";
            case errc::missing_authentication:
                return "missing authentication";
            case errc::access_denied:
                return "access denied";
            case errc::expired_token:
                return "expired token";
            case errc::unknown_service_error:
                return "service error";
        }
        return "unknown lift.aws error";
    }

    // Which lift::condition each code belongs to (see the enum's comments).
    static int condition_of(errc e) noexcept {
        switch (e) {
            case errc::connect_failed:
            case errc::connection_lost:
            case errc::timeout:
            case errc::internal_server_error:
            case errc::service_unavailable:
                return static_cast<int>(condition::retryable);
            case errc::throughput_exceeded:
            case errc::throttling:
            case errc::request_limit_exceeded:
                return static_cast<int>(condition::throttled);
            case errc::bad_response:
            case errc::bad_endpoint:
            case errc::conditional_check_failed:
            case errc::validation:
            case errc::resource_in_use:
            case errc::transaction_canceled:
            case errc::transaction_conflict:
            case errc::item_collection_size_exceeded:
                return static_cast<int>(condition::invalid);
            case errc::resource_not_found:
                return static_cast<int>(condition::not_found);
            case errc::tls_failed:
            case errc::invalid_signature:
            case errc::unrecognized_client:
            case errc::missing_authentication:
            case errc::access_denied:
            case errc::expired_token:
                return static_cast<int>(condition::auth);
            case errc::unknown_service_error:
                return 0;
        }
        return 0;
    }

    bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
        if (cond.category() == condition_category()) {
            return condition_of(static_cast<errc>(code)) == cond.value();
        }
        return default_error_condition(code) == cond;
    }
};

#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& aws_category() noexcept {
    static const aws_category_impl instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), aws_category()};
}

std::string_view bare_error_code(std::string_view type) noexcept {
    if (const auto hash = type.rfind('#'); hash != std::string_view::npos) {
        type.remove_prefix(hash + 1);
    }
    if (const auto colon = type.find(':'); colon != std::string_view::npos) {
        type = type.substr(0, colon);
    }
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
        type.remove_suffix(1);
    }
    return type;
}

boost::system::error_code error_code_for(int http_status, std::string_view code) noexcept {
    struct named {
        std::string_view name;
        boost::system::error_code ec;
    };

    const named table[] = {
        {"ConditionalCheckFailedException", make_error_code(errc::conditional_check_failed)},
        {"ValidationException", make_error_code(errc::validation)},
        {"SerializationException", make_error_code(errc::validation)},
        {"ResourceNotFoundException", make_error_code(errc::resource_not_found)},
        {"ResourceInUseException", make_error_code(errc::resource_in_use)},
        {"ProvisionedThroughputExceededException", make_error_code(errc::throughput_exceeded)},
        {"RequestLimitExceeded", make_error_code(errc::request_limit_exceeded)},
        {"TransactionCanceledException", make_error_code(errc::transaction_canceled)},
        {"TransactionConflictException", make_error_code(errc::transaction_conflict)},
        {"ItemCollectionSizeLimitExceededException",
         make_error_code(errc::item_collection_size_exceeded)},
        {"InternalServerError", make_error_code(errc::internal_server_error)},
        {"InternalFailure", make_error_code(errc::internal_server_error)},
        {"ServiceUnavailable", make_error_code(errc::service_unavailable)},
        {"InvalidSignatureException", make_error_code(errc::invalid_signature)},
        {"SignatureDoesNotMatch", make_error_code(errc::invalid_signature)},
        {"UnrecognizedClientException", make_error_code(errc::unrecognized_client)},
        {"InvalidClientTokenId", make_error_code(errc::unrecognized_client)},
        {"MissingAuthenticationTokenException", make_error_code(errc::missing_authentication)},
        {"MissingAuthenticationToken", make_error_code(errc::missing_authentication)},
        {"IncompleteSignatureException", make_error_code(errc::missing_authentication)},
        {"AccessDeniedException", make_error_code(errc::access_denied)},
        {"ExpiredTokenException", make_error_code(errc::expired_token)},
        // Management API (@connections): the core codes the in-process gateway uses too.
        {"GoneException", make_error_code(lift::errc::gone)},
        {"ForbiddenException", make_error_code(lift::errc::forbidden)},
        {"PayloadTooLargeException", make_error_code(lift::errc::payload_too_large)},
        {"LimitExceededException", make_error_code(lift::errc::limit_exceeded)},
    };
    for (const auto& entry : table) {
        if (entry.name == code) {
            return entry.ec;
        }
    }
    if (!code.empty() && classify(http_status, code) == retry_kind::throttling) {
        return make_error_code(errc::throttling);
    }
    if (!code.empty() && classify(http_status, code) == retry_kind::transient &&
        http_status < 500) {
        return make_error_code(errc::timeout);  // RequestTimeout(Exception)
    }
    switch (http_status) {
        case 410:
            return make_error_code(lift::errc::gone);
        case 403:
            return make_error_code(lift::errc::forbidden);
        case 413:
            return make_error_code(lift::errc::payload_too_large);
        case 429:
            return make_error_code(lift::errc::limit_exceeded);
        case 503:
            return make_error_code(errc::service_unavailable);
        default:
            break;
    }
    if (http_status >= 500) {
        return make_error_code(errc::internal_server_error);
    }
    return make_error_code(errc::unknown_service_error);
}

}  // namespace lift::aws
