#include "ws_codec.hpp"

#include <cstring>

#include <openssl/evp.h>

namespace lift::gateway::detail {

namespace {

constexpr std::uint8_t op_continuation = 0x0;
constexpr std::uint8_t op_text = 0x1;
constexpr std::uint8_t op_binary = 0x2;
constexpr std::uint8_t op_close = 0x8;
constexpr std::uint8_t op_ping = 0x9;
constexpr std::uint8_t op_pong = 0xA;

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < n; i += 3) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | data[i + 2];
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += b64_alphabet[v & 63];
    }
    if (i + 1 == n) {
        const unsigned v = unsigned{data[i]} << 16;
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == n) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
        out += b64_alphabet[(v >> 18) & 63];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool is_b64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

bool valid_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) {
        return true;
    }
    switch (code) {
        case 1000:
        case 1001:
        case 1002:
        case 1003:
        case 1007:
        case 1008:
        case 1009:
        case 1010:
        case 1011:
        case 1012:
        case 1013:
        case 1014:
            return true;
        default:
            return false;
    }
}

}  // namespace

bool utf8_validator::feed(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p < end) {
        if (need_ == 0) {
            // ASCII fast path, 8 bytes at a time.
            while (end - p >= 8) {
                std::uint64_t w;
                std::memcpy(&w, p, 8);
                if ((w & 0x8080808080808080ULL) != 0) {
                    break;
                }
                p += 8;
            }
            if (p == end) {
                break;
            }
            const unsigned char c = *p++;
            if (c < 0x80) {
                continue;
            }
            if (c >= 0xC2 && c <= 0xDF) {
                need_ = 1;
                lower_ = 0x80;
                upper_ = 0xBF;
            } else if (c == 0xE0) {
                need_ = 2;
                lower_ = 0xA0;
                upper_ = 0xBF;
            } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
                need_ = 2;
                lower_ = 0x80;
                upper_ = 0xBF;
            } else if (c == 0xED) {
                need_ = 2;
                lower_ = 0x80;
                upper_ = 0x9F;
            } else if (c == 0xF0) {
                need_ = 3;
                lower_ = 0x90;
                upper_ = 0xBF;
            } else if (c >= 0xF1 && c <= 0xF3) {
                need_ = 3;
                lower_ = 0x80;
                upper_ = 0xBF;
            } else if (c == 0xF4) {
                need_ = 3;
                lower_ = 0x80;
                upper_ = 0x8F;
            } else {
                return false;
            }
        } else {
            const unsigned char c = *p++;
            if (c < lower_ || c > upper_) {
                return false;
            }
            lower_ = 0x80;
            upper_ = 0xBF;
            --need_;
        }
    }
    return true;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
    utf8_validator v;
    return v.feed(bytes) && v.complete();
}

void ws_reader::fail(ws_event& out, std::uint16_t code, std::string_view why) {
    out.kind = ws_event_kind::failure;
    out.close_code = code;
    out.payload.assign(why);
}

std::size_t ws_reader::consume(const char* data, std::size_t size, ws_event& out) {
    out.kind = ws_event_kind::none;
    std::size_t used = 0;
    while (used < size) {
        if (state_ == state::header) {
            // Need 2 bytes, then the extended length and the mask.
            while (hdr_have_ < 2 && used < size) {
                hdr_[hdr_have_++] = static_cast<unsigned char>(data[used++]);
            }
            if (hdr_have_ < 2) {
                return used;
            }
            const unsigned len7 = hdr_[1] & 0x7Fu;
            const std::size_t ext = len7 == 126 ? 2 : (len7 == 127 ? 8 : 0);
            const bool masked = (hdr_[1] & 0x80u) != 0;
            const std::size_t need = 2 + ext + (masked ? 4 : 0);
            if (hdr_have_ == 2) {
                // Validate what the first two bytes say as early as possible.
                fin_ = (hdr_[0] & 0x80u) != 0;
                opcode_ = hdr_[0] & 0x0Fu;
                if ((hdr_[0] & 0x70u) != 0) {
                    fail(out, 1002, "reserved bits set");
                    return used;
                }
                if (!masked) {
                    fail(out, 1002, "client frame not masked");
                    return used;
                }
                const bool control = (opcode_ & 0x8u) != 0;
                if (control) {
                    if (opcode_ != op_close && opcode_ != op_ping && opcode_ != op_pong) {
                        fail(out, 1002, "unknown opcode");
                        return used;
                    }
                    if (!fin_) {
                        fail(out, 1002, "fragmented control frame");
                        return used;
                    }
                    if (len7 > 125) {
                        fail(out, 1002, "control frame too long");
                        return used;
                    }
                } else {
                    if (opcode_ != op_continuation && opcode_ != op_text && opcode_ != op_binary) {
                        fail(out, 1002, "unknown opcode");
                        return used;
                    }
                    if (opcode_ == op_continuation && !in_message_) {
                        fail(out, 1002, "continuation without a message");
                        return used;
                    }
                    if (opcode_ != op_continuation && in_message_) {
                        fail(out, 1002, "new message inside a fragmented message");
                        return used;
                    }
                    if (opcode_ == op_binary && limits_.reject_binary) {
                        fail(out, 1003, "binary frames are not supported");
                        return used;
                    }
                }
            }
            while (hdr_have_ < need && used < size) {
                hdr_[hdr_have_++] = static_cast<unsigned char>(data[used++]);
            }
            if (hdr_have_ < need) {
                return used;
            }
            std::uint64_t len = len7;
            if (ext == 2) {
                len = (std::uint64_t{hdr_[2]} << 8) | hdr_[3];
            } else if (ext == 8) {
                len = 0;
                for (int i = 0; i < 8; ++i) {
                    len = (len << 8) | hdr_[2 + i];
                }
                if ((len >> 63) != 0) {
                    fail(out, 1002, "frame length has the high bit set");
                    return used;
                }
            }
            std::memcpy(mask_, hdr_ + 2 + ext, 4);
            hdr_have_ = 0;
            const bool control = (opcode_ & 0x8u) != 0;
            if (!control) {
                if (len > limits_.max_frame) {
                    fail(out, 1009, "frame too big");
                    return used;
                }
                const std::uint64_t total = (in_message_ ? message_.size() : 0) + len;
                if (total > limits_.max_message) {
                    fail(out, 1009, "message too big");
                    return used;
                }
                if (!in_message_) {
                    in_message_ = true;
                    message_opcode_ = opcode_;
                    message_.clear();
                    utf8_.reset();
                }
                message_.reserve(static_cast<std::size_t>(total));
            } else {
                control_.clear();
            }
            frame_len_ = len;
            remaining_ = len;
            mask_pos_ = 0;
            state_ = state::payload;
            if (remaining_ == 0) {
                state_ = state::header;
                if (finish_frame(out)) {
                    return used;
                }
                continue;
            }
        }
        // Payload.
        const bool control = (opcode_ & 0x8u) != 0;
        std::string& dst = control ? control_ : message_;
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - used));
        const std::size_t start = dst.size();
        dst.append(data + used, take);
        char* p = dst.data() + start;
        for (std::size_t i = 0; i < take; ++i) {
            p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ mask_[(mask_pos_ + i) & 3]);
        }
        mask_pos_ = (mask_pos_ + take) & 3;
        used += take;
        remaining_ -= take;
        if (!control && message_opcode_ == op_text && !utf8_.feed(std::string_view{p, take})) {
            fail(out, 1007, "invalid UTF-8 in a text message");
            return used;
        }
        if (remaining_ == 0) {
            state_ = state::header;
            if (finish_frame(out)) {
                return used;
            }
        }
    }
    return used;
}

bool ws_reader::finish_frame(ws_event& out) {
    switch (opcode_) {
        case op_ping:
            out.kind = ws_event_kind::ping;
            out.payload = std::move(control_);
            control_.clear();
            return true;
        case op_pong:
            out.kind = ws_event_kind::pong;
            out.payload = std::move(control_);
            control_.clear();
            return true;
        case op_close: {
            if (control_.empty()) {
                out.kind = ws_event_kind::close;
                out.close_code = 1005;
                out.payload.clear();
                return true;
            }
            if (control_.size() == 1) {
                fail(out, 1002, "close frame with a 1-byte payload");
                return true;
            }
            const auto code =
                static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                           static_cast<unsigned char>(control_[1]));
            if (!valid_close_code(code)) {
                fail(out, 1002, "invalid close code");
                return true;
            }
            std::string_view reason{control_.data() + 2, control_.size() - 2};
            if (!is_valid_utf8(reason)) {
                fail(out, 1007, "invalid UTF-8 in the close reason");
                return true;
            }
            out.kind = ws_event_kind::close;
            out.close_code = code;
            out.payload.assign(reason);
            return true;
        }
        default:
            break;
    }
    if (!fin_) {
        return false;  // more fragments follow
    }
    in_message_ = false;
    if (message_opcode_ == op_text) {
        if (!utf8_.complete()) {
            fail(out, 1007, "invalid UTF-8 in a text message");
            return true;
        }
        out.kind = ws_event_kind::text;
    } else {
        out.kind = ws_event_kind::binary;
    }
    out.payload = std::move(message_);
    message_.clear();
    return true;
}

void append_frame_header(std::string& out, std::uint8_t opcode, bool fin, std::size_t size) {
    out += static_cast<char>((fin ? 0x80 : 0x00) | opcode);
    if (size < 126) {
        out += static_cast<char>(size);
    } else if (size <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>((size >> 8) & 0xFF);
        out += static_cast<char>(size & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int i = 7; i >= 0; --i) {
            out += static_cast<char>((static_cast<std::uint64_t>(size) >> (8 * i)) & 0xFF);
        }
    }
}

std::string encode_text(std::string_view payload, std::size_t max_frame) {
    std::string out;
    if (payload.size() <= max_frame) {
        out.reserve(payload.size() + 10);
        append_frame_header(out, op_text, true, payload.size());
        out.append(payload);
        return out;
    }
    out.reserve(payload.size() + (payload.size() / max_frame + 1) * 10);
    std::size_t pos = 0;
    bool first = true;
    while (pos < payload.size()) {
        const std::size_t n = std::min(max_frame, payload.size() - pos);
        const bool fin = pos + n == payload.size();
        append_frame_header(out, first ? op_text : op_continuation, fin, n);
        out.append(payload.substr(pos, n));
        pos += n;
        first = false;
    }
    return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
    if (reason.size() > 123) {
        reason = reason.substr(0, 123);
    }
    std::string out;
    append_frame_header(out, op_close, true, 2 + reason.size());
    out += static_cast<char>((code >> 8) & 0xFF);
    out += static_cast<char>(code & 0xFF);
    out.append(reason);
    return out;
}

std::string encode_pong(std::string_view payload) {
    std::string out;
    append_frame_header(out, op_pong, true, payload.size());
    out.append(payload);
    return out;
}

std::string websocket_accept(std::string_view key) {
    std::string input{key};
    input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(input.data(), input.size(), md, &md_len, EVP_sha1(), nullptr);
    return base64(md, md_len);
}

bool is_valid_websocket_key(std::string_view key) noexcept {
    // 16 bytes → 24 characters ending in "==".
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') {
        return false;
    }
    for (std::size_t i = 0; i < 22; ++i) {
        if (!is_b64_char(key[i])) {
            return false;
        }
    }
    return true;
}

}  // namespace lift::gateway::detail
