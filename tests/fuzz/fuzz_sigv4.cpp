// SigV4 canonicalisation: "METHOD\npath\nquery\nName: value\n..." signed for execute-api.
#include <chrono>
#include <cstdlib>

#include <lift/aws/sigv4.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto lines = lift::fuzz::split(lift::fuzz::as_view(data, size), '\n', 40);
    lift::aws::signing_request req;
    req.method = std::string{lines[0]};
    req.path = lines.size() > 1 ? std::string{lines[1]} : "/";
    req.query = lines.size() > 2 ? std::string{lines[2]} : "";
    for (std::size_t i = 3; i < lines.size(); ++i) {
        const auto nv = lift::fuzz::split(lines[i], ':', 2);
        req.headers.push_back({std::string{nv[0]}, nv.size() > 1 ? std::string{nv[1]} : ""});
    }
    const lift::aws::credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};
    lift::aws::signing_params params;
    params.region = "us-east-1";
    params.service = "execute-api";
    params.time = std::chrono::system_clock::time_point{std::chrono::seconds{1700000000}};
    auto canonical = lift::aws::canonical_request(req, creds, params);
    if (canonical && canonical->empty()) {
        std::abort();
    }
    params.normalize_path = false;
    (void)lift::aws::canonical_request(req, creds, params);
    return 0;
}
