#include <array>
#include <ctime>

#include <lift/core/ids.hpp>

namespace lift {

namespace {

constexpr std::string_view base64url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view api_id_chars = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::size_t id_bytes = 11;
constexpr std::size_t id_length = 16;

int base64url_value(char c) noexcept {
    const auto pos = base64url.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Breaks epoch ms into UTC calendar fields and the millisecond remainder (floor semantics,
// so times before 1970 still get 0..999 ms). gmtime_r: no locale, no shared static buffer.
struct utc_time {
    std::tm tm{};
    int ms = 0;
};

utc_time to_utc(std::int64_t epoch_ms) noexcept {
    std::int64_t secs = epoch_ms / 1000;
    std::int64_t ms = epoch_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        --secs;
    }
    utc_time out;
    const auto t = static_cast<std::time_t>(secs);
    gmtime_r(&t, &out.tm);
    out.ms = static_cast<int>(ms);
    return out;
}

// Appends `value` (>= 0) zero-padded to `width` digits; no locale, no printf.
template <std::size_t Width>
void append_digits(std::string& out, int value) {
    std::array<char, 12> buf{};
    std::size_t n = 0;
    auto v = static_cast<unsigned>(value < 0 ? 0 : value);
    do {
        buf[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < buf.size());
    for (std::size_t i = n; i < Width; ++i) {
        out += '0';
    }
    while (n > 0) {
        out += buf[--n];
    }
}

}  // namespace

id_generator::id_generator() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    rng_.seed(seq);
}

std::string id_generator::next() {
    std::array<unsigned char, id_bytes + 1> bytes{};  // one zero byte of padding
    const std::uint64_t a = rng_();
    const std::uint64_t b = rng_();
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[i] = static_cast<unsigned char>(a >> (8 * i));
    }
    for (std::size_t i = 8; i < id_bytes; ++i) {
        bytes[i] = static_cast<unsigned char>(b >> (8 * (i - 8)));
    }
    std::string out;
    out.reserve(id_length);
    // 11 bytes = three full 3-byte groups + one 2-byte tail → 12 + 3 characters + "=".
    for (std::size_t i = 0; i < 12; i += 3) {
        const unsigned n =
            (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | unsigned{bytes[i + 2]};
        out += base64url[(n >> 18) & 63];
        out += base64url[(n >> 12) & 63];
        out += base64url[(n >> 6) & 63];
        if (i + 2 < id_bytes) {
            out += base64url[n & 63];
        }
    }
    out += '=';
    return out;
}

std::string id_generator::next_api_id() {
    std::uniform_int_distribution<std::size_t> pick(0, api_id_chars.size() - 1);
    std::string out(10, 'a');
    for (auto& c : out) {
        c = api_id_chars[pick(rng_)];
    }
    return out;
}

bool is_aws_shaped_id(std::string_view id) noexcept {
    if (id.size() != id_length || id.back() != '=') {
        return false;
    }
    for (std::size_t i = 0; i + 2 < id_length; ++i) {
        if (base64url_value(id[i]) < 0) {
            return false;
        }
    }
    // The 15th character carries the last 4 bits of 11 bytes; its 2 low bits are padding.
    const int last = base64url_value(id[id_length - 2]);
    return last >= 0 && (last & 3) == 0;
}

std::string format_request_time(std::int64_t epoch_ms) {
    const auto t = to_utc(epoch_ms);
    std::string out;
    out.reserve(26);
    append_digits<2>(out, t.tm.tm_mday);
    out += '/';
    out.append(month_names[static_cast<std::size_t>(t.tm.tm_mon) % 12]);
    out += '/';
    append_digits<4>(out, t.tm.tm_year + 1900);
    out += ':';
    append_digits<2>(out, t.tm.tm_hour);
    out += ':';
    append_digits<2>(out, t.tm.tm_min);
    out += ':';
    append_digits<2>(out, t.tm.tm_sec);
    out += " +0000";
    return out;
}

std::string format_iso8601_ms(std::int64_t epoch_ms) {
    const auto t = to_utc(epoch_ms);
    std::string out;
    out.reserve(24);
    append_digits<4>(out, t.tm.tm_year + 1900);
    out += '-';
    append_digits<2>(out, t.tm.tm_mon + 1);
    out += '-';
    append_digits<2>(out, t.tm.tm_mday);
    out += 'T';
    append_digits<2>(out, t.tm.tm_hour);
    out += ':';
    append_digits<2>(out, t.tm.tm_min);
    out += ':';
    append_digits<2>(out, t.tm.tm_sec);
    out += '.';
    append_digits<3>(out, t.ms);
    out += 'Z';
    return out;
}

}  // namespace lift
