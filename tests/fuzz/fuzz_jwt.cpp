// JWT decoding and verification: arbitrary tokens against an HMAC key that allows every HS
// algorithm, plus JWKS documents. The verifier must reject without crashing, and accept only
// tokens whose HMAC it can recompute (never `alg: none`).
#include <cstdlib>
#include <optional>
#include <string>

#include <lift/auth/jwks.hpp>
#include <lift/auth/jwt.hpp>

#include "fuzz_input.hpp"

namespace {

using namespace lift::auth;

const std::optional<jwt_verifier>& verifier() {
    static const std::optional<jwt_verifier> v = [] {
        auto key = jwt_key::hmac("fuzzing-secret-of-at-least-32-bytes!!", "k1");
        if (!key) {
            std::abort();
        }
        jwt_options o;
        o.algorithms = {jwt_algorithm::hs256, jwt_algorithm::hs384, jwt_algorithm::hs512,
                        jwt_algorithm::rs256, jwt_algorithm::es256, jwt_algorithm::ps256};
        o.require_exp = false;
        auto made = jwt_verifier::create(o, {*key});
        return made ? std::optional<jwt_verifier>{std::move(*made)} : std::nullopt;
    }();
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = lift::fuzz::as_view(data, size);
    const auto& v = verifier();
    if (!v) {
        std::abort();
    }
    (void)v->verify(input, 1'700'000'000'000);
    (void)parse_jwks(input);
    if (auto decoded = detail::decode_base64url(input)) {
        // Strict base64url round-trips exactly.
        if (detail::encode_base64url(*decoded) != input) {
            std::abort();
        }
    }
    return 0;
}
