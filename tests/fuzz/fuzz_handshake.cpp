// The opening-handshake check: "METHOD TARGET VERSION\nName: value\n..." from the input.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "handshake.hpp"
#include "ws_codec.hpp"

using namespace lift::gateway::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto lines = lift::fuzz::split(lift::fuzz::as_view(data, size), '\n', 64);
    const auto start = lift::fuzz::split(lines[0], ' ', 3);
    handshake_request req;
    req.method = start[0];
    req.target = start.size() > 1 ? start[1] : std::string_view{};
    req.version = start.size() > 2 && start[2] == "HTTP/1.0" ? 10 : 11;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto nv = lift::fuzz::split(lines[i], ':', 2);
        req.headers.emplace_back(nv[0], nv.size() > 1 ? nv[1] : std::string_view{});
    }
    const auto v = check_handshake(req);
    if (v.status == 0 && !is_valid_websocket_key(v.key)) {
        std::abort();
    }
    if (v.status != 0 && v.status != 400 && v.status != 414 && v.status != 426 && v.status != 431) {
        std::abort();
    }
    if (v.status == 0) {
        (void)websocket_accept(v.key);
    }
    return 0;
}
