#include "ws_codec.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ws_test_client.hpp"

namespace {

using namespace lift::gateway::detail;
using lift::test::client_frame;

// Feeds everything (in chunks of `chunk` bytes) and collects the events.
std::vector<ws_event> feed(ws_reader& r, const std::string& bytes, std::size_t chunk = 0) {
    std::vector<ws_event> out;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const std::size_t n = chunk == 0 ? bytes.size() - pos : std::min(chunk, bytes.size() - pos);
        std::size_t off = 0;
        while (off < n) {
            ws_event ev;
            off += r.consume(bytes.data() + pos + off, n - off, ev);
            if (ev.kind != ws_event_kind::none) {
                out.push_back(ev);
                if (ev.kind == ws_event_kind::failure || ev.kind == ws_event_kind::close) {
                    return out;
                }
            }
        }
        pos += n;
    }
    return out;
}

TEST(ws_reader, reads_a_masked_text_frame_whole_and_byte_by_byte) {
    const std::string bytes = client_frame(0x1, "hello") + client_frame(0x1, "") +
                              client_frame(0x1, std::string(70000 % 30000, 'x'));
    for (std::size_t chunk : {0u, 1u, 3u, 7u}) {
        ws_reader r;
        auto ev = feed(r, bytes, chunk);
        ASSERT_EQ(ev.size(), 3u) << chunk;
        EXPECT_EQ(ev[0].kind, ws_event_kind::text);
        EXPECT_EQ(ev[0].payload, "hello");
        EXPECT_EQ(ev[1].payload, "");
        EXPECT_EQ(ev[2].payload.size(), 10000u);
    }
}

TEST(ws_reader, joins_fragments_and_allows_interleaved_control_frames) {
    ws_reader r;
    auto ev = feed(r, client_frame(0x1, "he", false) + client_frame(0x9, "p") +
                          client_frame(0x0, "ll", false) + client_frame(0x0, "o", true));
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, ws_event_kind::ping);
    EXPECT_EQ(ev[0].payload, "p");
    EXPECT_EQ(ev[1].kind, ws_event_kind::text);
    EXPECT_EQ(ev[1].payload, "hello");
}

TEST(ws_reader, enforces_api_gateway_limits) {
    {
        ws_reader r;
        auto ev = feed(r, client_frame(0x2, "bin"));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, ws_event_kind::failure);
        EXPECT_EQ(ev[0].close_code, 1003);
    }
    {
        ws_reader r;
        auto ev = feed(r, client_frame(0x1, std::string(32768, 'a')));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, ws_event_kind::text);
        ws_reader r2;
        // Only the header is needed to refuse an oversized frame.
        auto ev2 = feed(r2, client_frame(0x1, std::string(32769, 'a')).substr(0, 8));
        ASSERT_EQ(ev2.size(), 1u);
        EXPECT_EQ(ev2[0].close_code, 1009);
    }
    {
        ws_reader r;
        const std::string part(32768, 'a');
        auto ev = feed(r, client_frame(0x1, part, false) + client_frame(0x0, part, false) +
                              client_frame(0x0, part, false) + client_frame(0x0, part, false) +
                              client_frame(0x0, "x", true));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, ws_event_kind::failure);
        EXPECT_EQ(ev[0].close_code, 1009);
    }
    {
        ws_reader r{reader_limits{1 << 20, 1 << 20, false}};
        auto ev = feed(r, client_frame(0x2, "bin"));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, ws_event_kind::binary);
    }
}

TEST(ws_reader, invalid_utf8_is_1007_even_across_fragments) {
    {
        ws_reader r;
        auto ev = feed(r, client_frame(0x1, "a\xc3\x28"));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].close_code, 1007);
    }
    {
        // "€" = E2 82 AC split across fragments is fine.
        ws_reader r;
        auto ev = feed(r, client_frame(0x1, "\xe2\x82", false) + client_frame(0x0, "\xac", true));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, ws_event_kind::text);
        EXPECT_EQ(ev[0].payload, "\xe2\x82\xac");
    }
    {
        // A message that ends in the middle of a character.
        ws_reader r;
        auto ev = feed(r, client_frame(0x1, "\xe2\x82"));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].close_code, 1007);
    }
}

TEST(ws_reader, protocol_violations_are_1002) {
    const std::vector<std::string> bad = {
        client_frame(0x1, "x", true, false),                     // unmasked
        client_frame(0x1, "x", true, true, 0x40),                // RSV1 without an extension
        client_frame(0x3, "x"),                                  // reserved data opcode
        client_frame(0xB, "x"),                                  // reserved control opcode
        client_frame(0x9, "x", false),                           // fragmented ping
        client_frame(0x9, std::string(126, 'p')),                // control frame over 125 bytes
        client_frame(0x0, "x"),                                  // continuation without a start
        client_frame(0x1, "a", false) + client_frame(0x1, "b"),  // text inside a message
        client_frame(0x8, "\x03"),                               // 1-byte close payload
        client_frame(0x8, std::string("\x03\xed", 2)),           // close code 1005 on the wire
        client_frame(0x8, std::string("\x03\xe7", 2)),           // close code 999
    };
    for (std::size_t i = 0; i < bad.size(); ++i) {
        ws_reader r;
        auto ev = feed(r, bad[i]);
        ASSERT_FALSE(ev.empty()) << i;
        EXPECT_EQ(ev.back().kind, ws_event_kind::failure) << i;
        EXPECT_EQ(ev.back().close_code, 1002) << i;
    }
}

TEST(ws_reader, close_frames) {
    {
        ws_reader r;
        auto ev = feed(r, client_frame(0x8, std::string("\x0f\xa0") + "bye"));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].kind, ws_event_kind::close);
        EXPECT_EQ(ev[0].close_code, 4000);
        EXPECT_EQ(ev[0].payload, "bye");
    }
    {
        ws_reader r;
        auto ev = feed(r, client_frame(0x8, ""));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].close_code, 1005);
    }
    {
        ws_reader r;
        auto ev = feed(r, client_frame(0x8, std::string("\x03\xe8\xff", 3)));
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].close_code, 1007);  // invalid UTF-8 reason
    }
}

TEST(ws_writer, splits_long_messages_into_32k_frames) {
    const std::string payload(100000, 'z');
    const std::string wire = encode_text(payload);
    std::size_t pos = 0;
    std::size_t frames = 0;
    std::string joined;
    bool fin = false;
    while (pos < wire.size()) {
        const auto b0 = static_cast<unsigned char>(wire[pos]);
        const auto b1 = static_cast<unsigned char>(wire[pos + 1]);
        ASSERT_EQ(b1 & 0x80, 0) << "server frames are not masked";
        std::size_t len = b1 & 0x7F;
        std::size_t hdr = 2;
        if (len == 126) {
            len = (static_cast<unsigned char>(wire[pos + 2]) << 8) |
                  static_cast<unsigned char>(wire[pos + 3]);
            hdr = 4;
        }
        EXPECT_LE(len, 32768u);
        EXPECT_EQ(b0 & 0x0F, frames == 0 ? 1 : 0);
        fin = (b0 & 0x80) != 0;
        joined += wire.substr(pos + hdr, len);
        pos += hdr + len;
        ++frames;
    }
    EXPECT_TRUE(fin);
    EXPECT_EQ(frames, 4u);
    EXPECT_EQ(joined, payload);
    EXPECT_EQ(encode_text("hi"), std::string("\x81\x02hi", 4));
    EXPECT_EQ(encode_close(1000, ""), std::string("\x88\x02\x03\xe8", 4));
}

TEST(handshake, accept_key_matches_rfc6455_example) {
    EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_TRUE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ="));
    EXPECT_FALSE(is_valid_websocket_key("not base64 at all!!!!!=="));
    EXPECT_FALSE(is_valid_websocket_key(""));
}

TEST(utf8, validator_cases) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
    EXPECT_TRUE(is_valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));                              // U+1F600
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                                     // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                                 // surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                             // > U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\x80"));      // lone continuation
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));  // truncated
    EXPECT_FALSE(is_valid_utf8("\xff"));
}

}  // namespace
