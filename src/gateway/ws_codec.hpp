// Sans-I/O WebSocket framing for the gateway (server side, RFC 6455): a reader that turns
// client bytes into messages and protocol errors with API Gateway's limits, and a writer that
// encodes server frames. No sockets here, so it is unit-tested and fuzzed directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lift::gateway::detail {

/// Incremental UTF-8 validator (rejects overlongs, surrogates, > U+10FFFF).
class utf8_validator {
public:
    /// Feeds bytes; false as soon as the input cannot be valid UTF-8.
    bool feed(std::string_view bytes) noexcept;

    /// True when the input so far ends on a character boundary.
    bool complete() const noexcept { return need_ == 0; }

    void reset() noexcept {
        need_ = 0;
        lower_ = 0x80;
        upper_ = 0xBF;
    }

private:
    int need_ = 0;
    unsigned char lower_ = 0x80;
    unsigned char upper_ = 0xBF;
};

/// One-shot validation.
bool is_valid_utf8(std::string_view bytes) noexcept;

/// Limits the reader enforces.
struct reader_limits {
    std::size_t max_frame = 32 * 1024;     ///< larger data frame → 1009
    std::size_t max_message = 128 * 1024;  ///< larger message → 1009
    bool reject_binary = true;             ///< binary data frame → 1003
};

/// What the reader found.
enum class ws_event_kind {
    none,     ///< need more bytes
    text,     ///< a complete text message in `payload`
    binary,   ///< a complete binary message (only when reject_binary is false)
    ping,     ///< ping with `payload`
    pong,     ///< pong with `payload`
    close,    ///< peer's close: `close_code` (1005 when absent) and `payload` = reason
    failure,  ///< protocol violation: close the connection with `close_code`
};

/// A reader result.
struct ws_event {
    ws_event_kind kind = ws_event_kind::none;
    std::uint16_t close_code = 0;
    std::string payload;
};

/// Server-side frame reader. Not thread-safe.
class ws_reader {
public:
    explicit ws_reader(reader_limits limits = {}) : limits_(limits) {}

    /// Consumes bytes from `data` until one event is complete or the input is exhausted.
    /// Returns the number of bytes consumed; `out.kind` is `none` when more bytes are needed.
    /// After a `failure` or `close` event the reader must not be fed again.
    std::size_t consume(const char* data, std::size_t size, ws_event& out);

    /// True while a fragmented message or a frame is partly read.
    bool mid_message() const noexcept { return state_ != state::header || in_message_; }

private:
    enum class state { header, payload };

    void fail(ws_event& out, std::uint16_t code, std::string_view why);
    bool finish_frame(ws_event& out);

    reader_limits limits_;
    state state_ = state::header;
    unsigned char hdr_[14] = {};
    std::size_t hdr_have_ = 0;
    bool fin_ = false;
    std::uint8_t opcode_ = 0;
    unsigned char mask_[4] = {};
    std::uint64_t remaining_ = 0;
    std::uint64_t frame_len_ = 0;
    std::size_t mask_pos_ = 0;
    bool in_message_ = false;
    std::uint8_t message_opcode_ = 0;
    std::string message_;
    std::string control_;
    utf8_validator utf8_;
};

/// Appends a server (unmasked) frame header for a payload of `size` bytes.
void append_frame_header(std::string& out, std::uint8_t opcode, bool fin, std::size_t size);

/// A complete text message as server frames, split into frames of at most `max_frame` bytes
/// (API Gateway's 32 KiB frame limit also applies to what it sends).
std::string encode_text(std::string_view payload, std::size_t max_frame = 32 * 1024);

/// A close frame with `code` and `reason` (reason truncated to fit 125 bytes).
std::string encode_close(std::uint16_t code, std::string_view reason);

/// A pong frame echoing `payload`.
std::string encode_pong(std::string_view payload);

/// `Sec-WebSocket-Accept` for a client key.
std::string websocket_accept(std::string_view key);

/// True when `key` is base64 of exactly 16 bytes.
bool is_valid_websocket_key(std::string_view key) noexcept;

}  // namespace lift::gateway::detail
