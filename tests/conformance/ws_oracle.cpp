// ws_oracle: feeds byte sequences to the gateway's own frame reader (src/gateway/ws_codec) and
// prints what it made of them, for the differential check against python3-websockets
// (differential.py). One input line per sequence: "<max_bytes> <hex>" (max_bytes limits both
// frames and messages; binary frames are accepted). One output line per sequence, e.g.
//   text:68656c6c6f ping: close:1000: fail:1002
// ending with `fail:CODE`, `close:CODE:REASONHEX` or `incomplete`. Data is fed in pieces of 7
// bytes to exercise the incremental paths.
#include <cstdio>
#include <iostream>
#include <string>

#include "ws_codec.hpp"

namespace {

std::string to_hex(const std::string& s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() * 2);
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

bool from_hex(const std::string& h, std::string& out) {
    auto val = [](char c) {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    if (h.size() % 2 != 0) {
        return false;
    }
    out.clear();
    for (std::size_t i = 0; i < h.size(); i += 2) {
        const int a = val(h[i]);
        const int b = val(h[i + 1]);
        if (a < 0 || b < 0) {
            return false;
        }
        out += static_cast<char>(a * 16 + b);
    }
    return true;
}

std::string run(std::size_t max_bytes, const std::string& bytes) {
    using lift::gateway::detail::ws_event;
    using lift::gateway::detail::ws_event_kind;
    lift::gateway::detail::ws_reader reader{{max_bytes, max_bytes, false}};
    std::string out;
    std::size_t pos = 0;
    ws_event ev;
    while (pos < bytes.size()) {
        const std::size_t piece = std::min<std::size_t>(7, bytes.size() - pos);
        std::size_t off = 0;
        while (off < piece) {
            off += reader.consume(bytes.data() + pos + off, piece - off, ev);
            switch (ev.kind) {
                case ws_event_kind::none:
                    break;
                case ws_event_kind::text:
                    out += "text:" + to_hex(ev.payload) + " ";
                    break;
                case ws_event_kind::binary:
                    out += "binary:" + to_hex(ev.payload) + " ";
                    break;
                case ws_event_kind::ping:
                    out += "ping:" + to_hex(ev.payload) + " ";
                    break;
                case ws_event_kind::pong:
                    out += "pong:" + to_hex(ev.payload) + " ";
                    break;
                case ws_event_kind::close:
                    return out + "close:" + std::to_string(ev.close_code) + ":" +
                           to_hex(ev.payload);
                case ws_event_kind::failure:
                    return out + "fail:" + std::to_string(ev.close_code);
            }
        }
        pos += piece;
    }
    return out + "incomplete";
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    std::string bytes;
    while (std::getline(std::cin, line)) {
        const auto space = line.find(' ');
        if (space == std::string::npos || !from_hex(line.substr(space + 1), bytes)) {
            std::cerr << "ws_oracle: bad input line (want \"<max_bytes> <hex>\")\n";
            return 2;
        }
        std::cout << run(std::stoul(line.substr(0, space)), bytes) << '\n';
    }
    return 0;
}
