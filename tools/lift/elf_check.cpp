// ELF reading (program headers, dynamic section, version needs) and a one-entry zip writer.
// Reads only what the dynamic loader reads, through the program headers, so stripped binaries
// (no section headers needed) are handled the same way.
#include "elf_check.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include <zlib.h>

namespace lift::tool {

namespace {

constexpr std::uint16_t et_exec = 2;
constexpr std::uint16_t et_dyn = 3;
constexpr std::uint16_t em_x86_64 = 62;
constexpr std::uint16_t em_aarch64 = 183;
constexpr std::uint32_t pt_load = 1;
constexpr std::uint32_t pt_dynamic = 2;
constexpr std::uint32_t pt_interp = 3;
constexpr std::int64_t dt_null = 0;
constexpr std::int64_t dt_needed = 1;
constexpr std::int64_t dt_strtab = 5;
constexpr std::int64_t dt_strsz = 10;
constexpr std::int64_t dt_rpath = 15;
constexpr std::int64_t dt_runpath = 29;
constexpr std::int64_t dt_verneed = 0x6ffffffe;
constexpr std::int64_t dt_verneednum = 0x6fffffff;

// Little-endian reads with bounds checks; `ok` turns false on the first out-of-range read.
struct reader {
    std::string_view bytes;
    bool ok = true;

    template <class T>
    T at(std::uint64_t offset) {
        if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) {
            ok = false;
            return T{};
        }
        T v{};
        std::memcpy(&v, bytes.data() + offset, sizeof(T));  // the host is little-endian
        return v;
    }

    std::string c_string(std::uint64_t offset, std::uint64_t limit) {
        if (offset >= limit || limit > bytes.size()) {
            ok = false;
            return {};
        }
        const auto rest = bytes.substr(offset, limit - offset);
        const auto end = rest.find('\0');
        if (end == std::string_view::npos) {
            ok = false;
            return {};
        }
        return std::string{rest.substr(0, end)};
    }
};

struct segment {
    std::uint64_t vaddr, offset, filesz;
};

error malformed(const std::string& what) {
    return fail(errc::parse_error, "not a well-formed ELF executable: " + what);
}

}  // namespace

result<elf_info> read_elf(std::string_view bytes) {
    reader r{bytes};
    if (bytes.size() < 64 || bytes.substr(0, 4) !=
                                 "\x7f"
                                 "ELF") {
        return fail(errc::parse_error, "not an ELF file (no \\x7fELF header)");
    }
    if (bytes[4] != 2 || bytes[5] != 1) {
        return fail(errc::parse_error,
                    "not a 64-bit little-endian ELF file (Lambda runs x86_64 and arm64 only)");
    }
    elf_info info;
    const auto type = r.at<std::uint16_t>(16);
    const auto machine = r.at<std::uint16_t>(18);
    info.machine = machine == em_x86_64    ? "x86_64"
                   : machine == em_aarch64 ? "arm64"
                                           : "machine " + std::to_string(machine);
    const auto phoff = r.at<std::uint64_t>(32);
    const auto phentsize = r.at<std::uint16_t>(54);
    const auto phnum = r.at<std::uint16_t>(56);
    if (phentsize < 56 || phnum == 0) {
        return malformed("no program headers");
    }
    std::vector<segment> loads;
    std::uint64_t dyn_offset = 0;
    std::uint64_t dyn_size = 0;
    bool has_dynamic = false;
    for (std::uint16_t i = 0; i < phnum && r.ok; ++i) {
        const std::uint64_t ph = phoff + std::uint64_t{i} * phentsize;
        const auto p_type = r.at<std::uint32_t>(ph);
        const auto p_offset = r.at<std::uint64_t>(ph + 8);
        const auto p_vaddr = r.at<std::uint64_t>(ph + 16);
        const auto p_filesz = r.at<std::uint64_t>(ph + 32);
        if (p_type == pt_load) {
            loads.push_back({p_vaddr, p_offset, p_filesz});
        } else if (p_type == pt_dynamic) {
            has_dynamic = true;
            dyn_offset = p_offset;
            dyn_size = p_filesz;
        } else if (p_type == pt_interp) {
            info.interpreter = r.c_string(p_offset, p_offset + p_filesz);
        }
    }
    if (!r.ok) {
        return malformed("program headers out of range");
    }
    info.is_executable = type == et_exec || (type == et_dyn && !info.interpreter.empty());
    if (!has_dynamic) {
        return info;  // fully static
    }
    auto file_offset = [&](std::uint64_t vaddr) -> std::uint64_t {
        for (const auto& s : loads) {
            if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz) {
                return s.offset + (vaddr - s.vaddr);
            }
        }
        return std::numeric_limits<std::uint64_t>::max();
    };
    std::vector<std::uint64_t> needed_offsets;
    std::vector<std::uint64_t> path_offsets;
    std::uint64_t strtab = 0;
    std::uint64_t strsz = 0;
    std::uint64_t verneed = 0;
    std::uint64_t verneednum = 0;
    for (std::uint64_t d = dyn_offset; d + 16 <= dyn_offset + dyn_size; d += 16) {
        const auto tag = r.at<std::int64_t>(d);
        const auto val = r.at<std::uint64_t>(d + 8);
        if (!r.ok || tag == dt_null) {
            break;
        }
        switch (tag) {
            case dt_needed:
                needed_offsets.push_back(val);
                break;
            case dt_rpath:
            case dt_runpath:
                path_offsets.push_back(val);
                break;
            case dt_strtab:
                strtab = file_offset(val);
                break;
            case dt_strsz:
                strsz = val;
                break;
            case dt_verneed:
                verneed = file_offset(val);
                break;
            case dt_verneednum:
                verneednum = val;
                break;
            default:
                break;
        }
    }
    if (!r.ok) {
        return malformed("dynamic section out of range");
    }
    if (strtab > bytes.size() || strsz > bytes.size() - strtab) {
        return malformed("dynamic string table out of range");
    }
    const std::uint64_t strend = strtab + strsz;
    for (const auto off : needed_offsets) {
        info.needed.push_back(r.c_string(strtab + off, strend));
    }
    for (const auto off : path_offsets) {
        info.runpath.push_back(r.c_string(strtab + off, strend));
    }
    // Elf64_Verneed {vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32};
    // Elf64_Vernaux {vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32}.
    std::uint64_t vn = verneed;
    for (std::uint64_t i = 0; i < verneednum && i < 1024 && r.ok; ++i) {
        const auto cnt = r.at<std::uint16_t>(vn + 2);
        const auto aux = r.at<std::uint32_t>(vn + 8);
        const auto next = r.at<std::uint32_t>(vn + 12);
        std::uint64_t va = vn + aux;
        for (std::uint16_t j = 0; j < cnt && r.ok; ++j) {
            const auto name = r.c_string(strtab + r.at<std::uint32_t>(va + 8), strend);
            if (name.rfind("GLIBC_", 0) == 0 &&
                std::find(info.glibc_versions.begin(), info.glibc_versions.end(), name) ==
                    info.glibc_versions.end()) {
                info.glibc_versions.push_back(name);
            }
            const auto vna_next = r.at<std::uint32_t>(va + 12);
            if (vna_next == 0) {
                break;
            }
            va += vna_next;
        }
        if (next == 0) {
            break;
        }
        vn += next;
    }
    if (!r.ok) {
        return malformed("version needs or string table out of range");
    }
    return info;
}

int glibc_version_number(std::string_view version) {
    if (version.rfind("GLIBC_", 0) == 0) {
        version.remove_prefix(6);
    }
    int major = 0;
    int minor = 0;
    const char* end = version.data() + version.size();
    auto [p, ec] = std::from_chars(version.data(), end, major);
    if (ec != std::errc{} || p == end || *p != '.') {
        return -1;
    }
    auto [q, ec2] = std::from_chars(p + 1, end, minor);
    if (ec2 != std::errc{} || (q != end && *q != '.') || minor >= 1000) {
        return -1;
    }
    return major * 1000 + minor;
}

std::vector<std::string> bootstrap_problems(const elf_info& info,
                                            std::string_view expected_machine,
                                            std::string_view max_glibc) {
    static constexpr std::array allowed{"libc.so.6",
                                        "libm.so.6",
                                        "libpthread.so.0",
                                        "libdl.so.2",
                                        "librt.so.1",
                                        "ld-linux-x86-64.so.2",
                                        "ld-linux-aarch64.so.1"};
    std::vector<std::string> problems;
    if (info.machine != expected_machine) {
        problems.push_back("built for " + info.machine + ", not " + std::string{expected_machine});
    }
    if (!info.is_executable) {
        problems.push_back("not an executable (a shared library or object file)");
    }
    for (const auto& lib : info.needed) {
        if (std::find(allowed.begin(), allowed.end(), lib) == allowed.end()) {
            problems.push_back("needs shared library " + lib +
                               " (only glibc's own may be dynamic: link it statically)");
        }
    }
    for (const auto& path : info.runpath) {
        problems.push_back("has an RPATH/RUNPATH (" + path + "); a bootstrap must not");
    }
    const int limit = glibc_version_number(max_glibc);
    for (const auto& v : info.glibc_versions) {
        const int n = glibc_version_number(v);
        if (n < 0) {
            problems.push_back("needs glibc version " + v + ", which no released glibc " +
                               std::string{max_glibc} + " provides");
        } else if (n > limit) {
            problems.push_back("needs " + v + ", newer than glibc " + std::string{max_glibc} +
                               " (Amazon Linux 2023)");
        }
    }
    return problems;
}

std::uint32_t crc32(std::string_view bytes) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) {
                c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
            }
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFU;
    for (const char ch : bytes) {
        c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFU;
}

namespace {

// Raw DEFLATE (RFC 1951, as zip method 8 wants: no zlib header) of `data`.
result<std::string> deflate_raw(std::string_view data) {
    z_stream z{};
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        return fail(errc::internal, "zlib deflateInit2 failed");
    }
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        return fail(errc::internal, "zlib deflate did not finish");
    }
    return out;
}

}  // namespace

result<std::string> single_file_zip(std::string_view name,
                                    std::string_view data,
                                    unsigned mode,
                                    zip_method method) {
    if (data.size() >= 0xF0000000ULL || name.size() > 0xFFFF || name.empty()) {
        return fail(errc::payload_too_large, "file too large for a zip32 archive");
    }
    std::string compressed;
    std::string_view body = data;
    std::uint32_t zip_method_id = 0;
    if (method == zip_method::deflated) {
        auto d = deflate_raw(data);
        if (!d) {
            return d.error();
        }
        compressed = std::move(*d);
        if (compressed.size() < data.size()) {
            body = compressed;
            zip_method_id = 8;
        }
    }
    std::string out;
    auto u16 = [&](std::uint32_t v) {
        out.push_back(static_cast<char>(v & 0xFF));
        out.push_back(static_cast<char>((v >> 8) & 0xFF));
    };
    auto u32 = [&](std::uint32_t v) {
        u16(v & 0xFFFF);
        u16(v >> 16);
    };
    const auto crc = crc32(data);
    const auto size = static_cast<std::uint32_t>(data.size());
    const auto stored_size = static_cast<std::uint32_t>(body.size());
    const auto name_len = static_cast<std::uint32_t>(name.size());
    constexpr std::uint32_t dos_time = 0;                           // 00:00:00
    constexpr std::uint32_t dos_date = (0U << 9) | (1U << 5) | 1U;  // 1980-01-01
    const std::uint32_t version_needed = zip_method_id == 8 ? 20 : 10;
    constexpr std::uint32_t version_made_by = (3U << 8) | 30U;  // Unix, 3.0: mode is honoured
    out.reserve(body.size() + 2 * name.size() + 128);
    // local file header
    u32(0x04034b50);
    u16(version_needed);
    u16(0);  // flags
    u16(zip_method_id);
    u16(dos_time);
    u16(dos_date);
    u32(crc);
    u32(stored_size);
    u32(size);
    u16(name_len);
    u16(0);  // extra
    out.append(name);
    out.append(body);
    const auto central = static_cast<std::uint32_t>(out.size());
    // central directory header
    u32(0x02014b50);
    u16(version_made_by);
    u16(version_needed);
    u16(0);
    u16(zip_method_id);
    u16(dos_time);
    u16(dos_date);
    u32(crc);
    u32(stored_size);
    u32(size);
    u16(name_len);
    u16(0);                                   // extra
    u16(0);                                   // comment
    u16(0);                                   // disk
    u16(0);                                   // internal attributes
    u32((0100000U | (mode & 07777U)) << 16);  // regular file + mode, in the high half
    u32(0);                                   // local header offset
    out.append(name);
    const auto central_size = static_cast<std::uint32_t>(out.size()) - central;
    // end of central directory
    u32(0x06054b50);
    u16(0);
    u16(0);
    u16(1);
    u16(1);
    u32(central_size);
    u32(central);
    u16(0);
    return out;
}

}  // namespace lift::tool
