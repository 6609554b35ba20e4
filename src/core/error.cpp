#include <string>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <lift/core/error.hpp>

namespace lift {

namespace {

// Categories carry fixed 64-bit ids so that two copies of the library (e.g. a static lib linked
// into two shared objects) still compare equal (Boost.System compares ids when non-zero).
constexpr unsigned long long core_category_id = 0x6c69'6674'636f'7265ULL;       // "liftcore"
constexpr unsigned long long condition_category_id = 0x6c69'6674'636f'6e64ULL;  // "liftcond"

// boost::system::error_category has a protected non-virtual destructor by design (categories
// are never deleted through a base pointer); g++ still flags classes derived from it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

class core_category_impl final : public boost::system::error_category {
public:
    constexpr core_category_impl() noexcept : error_category(core_category_id) {}

    const char* name() const noexcept override { return "lift"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::invalid_argument:
                return "invalid argument";
            case errc::parse_error:
                return "parse error";
            case errc::not_found:
                return "not found";
            case errc::gone:
                return "connection gone";
            case errc::payload_too_large:
                return "payload too large";
            case errc::limit_exceeded:
                return "limit exceeded";
            case errc::forbidden:
                return "forbidden";
            case errc::timeout:
                return "timeout";
            case errc::handler_failed:
                return "handler failed";
            case errc::no_route:
                return "no route";
            case errc::unavailable:
                return "unavailable";
            case errc::internal:
                return "internal error";
            case errc::unauthorized:
                return "unauthorized";
        }
        return "unknown lift error";
    }
};

class condition_category_impl final : public boost::system::error_category {
public:
    constexpr condition_category_impl() noexcept : error_category(condition_category_id) {}

    const char* name() const noexcept override { return "lift.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
            case condition::retryable:
                return "retryable";
            case condition::throttled:
                return "throttled";
            case condition::gone:
                return "gone";
            case condition::not_found:
                return "not found";
            case condition::invalid:
                return "invalid";
            case condition::auth:
                return "not authorized";
        }
        return "unknown lift condition";
    }

    bool equivalent(const boost::system::error_code& code, int cond) const noexcept override {
        if (code.category() == *this) {
            return code.value() == cond;
        }
        if (code.category() != core_category()) {
            return false;
        }
        switch (static_cast<errc>(code.value())) {
            case errc::gone:
                return cond == static_cast<int>(condition::gone);
            case errc::not_found:
                return cond == static_cast<int>(condition::not_found);
            case errc::invalid_argument:
            case errc::parse_error:
            case errc::payload_too_large:
                return cond == static_cast<int>(condition::invalid);
            case errc::limit_exceeded:
                return cond == static_cast<int>(condition::throttled);
            case errc::unavailable:
            case errc::timeout:
                return cond == static_cast<int>(condition::retryable);
            case errc::forbidden:
            case errc::unauthorized:
                return cond == static_cast<int>(condition::auth);
            case errc::handler_failed:
            case errc::no_route:
            case errc::internal:
                return false;
        }
        return false;
    }
};

#pragma GCC diagnostic pop

}  // namespace

// Error categories are the one sanctioned function-local static: Boost.System needs one
// instance per category for the program's lifetime.
const boost::system::error_category& core_category() noexcept {
    static const core_category_impl instance;
    return instance;
}

const boost::system::error_category& condition_category() noexcept {
    static const condition_category_impl instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), core_category()};
}

boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

std::string error::what() const {
    std::string out = message.empty() ? code.message() : message;
    out += " (";
    out += code.category().name();
    out += ':';
    out += std::to_string(code.value());
    out += ')';
    return out;
}

void throw_exception_from_error(const error& e, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(e.code, e.message), loc);
}

}  // namespace lift
