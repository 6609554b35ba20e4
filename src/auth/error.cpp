#include <string>

#include <lift/auth/error.hpp>
#include <lift/core/error.hpp>

namespace lift::auth {

namespace {

constexpr unsigned long long auth_category_id = 0x6c69'6674'6175'7468ULL;  // "liftauth"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

class auth_category_impl final : public boost::system::error_category {
public:
    constexpr auth_category_impl() noexcept : error_category(auth_category_id) {}

    const char* name() const noexcept override { return "lift.auth"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::malformed_token:
                return "malformed token";
            case errc::algorithm_rejected:
                return "algorithm rejected";
            case errc::unknown_key:
                return "unknown key";
            case errc::bad_signature:
                return "bad signature";
            case errc::expired:
                return "token expired";
            case errc::not_yet_valid:
                return "token not yet valid";
            case errc::claim_mismatch:
                return "claim mismatch";
            case errc::unsupported_header:
                return "unsupported header";
            case errc::bad_key:
                return "unusable key";
            case errc::bad_configuration:
                return "bad configuration";
            case errc::key_fetch_failed:
                return "key fetch failed";
            case errc::missing_token:
                return "missing token";
        }
        return "unknown lift.auth error";
    }

    bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
        if (cond.category() != lift::condition_category()) {
            return false;
        }
        switch (static_cast<errc>(code)) {
            case errc::bad_key:
            case errc::bad_configuration:
                return cond.value() == static_cast<int>(lift::condition::invalid);
            case errc::key_fetch_failed:
                return cond.value() == static_cast<int>(lift::condition::retryable);
            default:
                return cond.value() == static_cast<int>(lift::condition::auth);
        }
    }
};

#pragma GCC diagnostic pop

constexpr auth_category_impl the_category;

}  // namespace

const boost::system::error_category& auth_category() noexcept {
    return the_category;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), the_category};
}

}  // namespace lift::auth
