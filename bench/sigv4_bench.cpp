// sign() for the PostToConnection request of aws-reference 10.3(a), signing key cached.
#include <chrono>

#include <benchmark/benchmark.h>

#include <lift/aws/sigv4.hpp>

namespace {

void bm_sign_post_to_connection(benchmark::State& state) {
    using namespace std::chrono;
    const lift::aws::credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};
    const lift::aws::signing_request req{
        "POST",
        "/prod/@connections/R1kmxc2VNjMCFIA%3D",
        "",
        {{"Host", "dl7ptocha9.execute-api.ap-northeast-1.amazonaws.com"}},
        "hello"};
    lift::aws::signing_params params;
    params.region = "ap-northeast-1";
    params.service = "execute-api";
    params.time = sys_days{year{2024} / 1 / 20} + hours{11} + minutes{55};
    lift::aws::signer signer;
    auto warm = signer.sign(req, creds, params);  // fills the key cache
    if (!warm ||
        warm->signature != "ba4b2f8f7cfa123150fda1a334ed3c0baac109db70a75b6d2cccfa976c1bf427") {
        state.SkipWithError("unexpected signature");
        return;
    }
    for (auto _ : state) {
        auto signed_req = signer.sign(req, creds, params);
        benchmark::DoNotOptimize(signed_req);
    }
}

BENCHMARK(bm_sign_post_to_connection);

}  // namespace
