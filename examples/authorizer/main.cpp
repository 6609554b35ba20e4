// example-authorizer: an API Gateway Lambda REQUEST authorizer written with Lift.
//
// The client presents a shared secret as the `token` query parameter or as
// `Authorization: Bearer <token>`; it is compared, in constant time, with LIFT_AUTHORIZER_TOKEN.
//   no token                    -> Unauthorized (API Gateway answers 401)
//   a token that does not match -> Deny policy  (403)
//   the right token             -> Allow on the method ARN, principalId = the `user` query
//                                  parameter (default "lift-user"), context {"role":"member"}
//   LIFT_AUTHORIZER_TOKEN unset -> an error     (500): the authorizer is misconfigured
//
// Locally: `example-authorizer --event event.json` (or the event on stdin) prints the answer.
// Behind `lift gateway`: --authorizer path/to/example-authorizer
//                        --identity-source route.request.querystring.token
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include <lift/lift.hpp>

namespace {

// Compares without an early exit, so the time taken does not reveal how many leading bytes
// matched (the length itself is not secret here).
bool equal_constant_time(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i) {
        diff = static_cast<unsigned char>(
            diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    }
    return diff == 0;
}

// The presented token, or empty.
std::string_view presented_token(const lift::authorizer_request& req) {
    if (const auto* q = req.query("token"); q != nullptr && !q->empty()) {
        return *q;
    }
    if (const auto* h = req.header("Authorization")) {
        constexpr std::string_view bearer = "Bearer ";
        if (h->size() > bearer.size() && h->compare(0, bearer.size(), bearer) == 0) {
            return std::string_view{*h}.substr(bearer.size());
        }
    }
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    const char* secret = std::getenv("LIFT_AUTHORIZER_TOKEN");
    const std::string expected = secret != nullptr ? secret : "";
    return lift::run_authorizer(
        [&expected](
            const lift::authorizer_request& req) -> lift::result<lift::authorizer_response> {
            if (expected.empty()) {
                return lift::fail(lift::errc::invalid_argument, "LIFT_AUTHORIZER_TOKEN is not set");
            }
            const std::string_view token = presented_token(req);
            if (token.empty()) {
                return lift::unauthorized();
            }
            const std::string* user = req.query("user");
            std::string principal =
                user != nullptr && !user->empty() && user->size() <= 64 ? *user : "lift-user";
            if (!equal_constant_time(token, expected)) {
                return lift::authorizer_response::deny(std::move(principal), req.method_arn);
            }
            return lift::authorizer_response::allow(
                std::move(principal), req.method_arn,
                boost::json::object{{"role", "member"}, {"authorizedBy", "example-authorizer"}});
        },
        argc, argv);
}
