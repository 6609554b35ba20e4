// ELF inspection for `lift package`: what a Lambda `bootstrap` needs from the system it runs on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <lift/core/result.hpp>

namespace lift::tool {

/// What the dynamic loader will ask of the system for one ELF executable. Plain data.
struct elf_info {
    std::string machine;                      ///< "x86_64", "arm64" or "machine <n>"
    bool is_executable = false;               ///< ET_EXEC, or ET_DYN with an interpreter (PIE)
    std::string interpreter;                  ///< PT_INTERP; empty when fully static
    std::vector<std::string> needed;          ///< DT_NEEDED, in order
    std::vector<std::string> runpath;         ///< DT_RPATH and DT_RUNPATH entries
    std::vector<std::string> glibc_versions;  ///< every GLIBC_* version in the version needs
};

/// Reads the ELF headers of `bytes` (a whole file). Fails with `errc::parse_error` naming what
/// is wrong when `bytes` is not a well-formed 64-bit little-endian ELF file. Bounds-checked:
/// any input is safe. Thread-safe (pure).
result<elf_info> read_elf(std::string_view bytes);

/// A glibc symbol version ("GLIBC_2.34") as a comparable number (2 * 1000 + 34); -1 when the
/// name is not GLIBC_<major>.<minor>[.<patch>] (e.g. GLIBC_PRIVATE, GLIBC_ABI_DT_RELR).
int glibc_version_number(std::string_view version);

/// The problems that keep `info` from running on a system whose glibc is `max_glibc`
/// (e.g. "2.34" for Amazon Linux 2023) with only glibc's own shared libraries, one line each;
/// empty when there are none. `expected_machine` is "x86_64" or "arm64". Thread-safe (pure).
std::vector<std::string> bootstrap_problems(const elf_info& info,
                                            std::string_view expected_machine,
                                            std::string_view max_glibc);

/// CRC-32 (ISO-HDLC, the one zip uses) of `bytes`. Thread-safe (pure).
std::uint32_t crc32(std::string_view bytes);

/// How `single_file_zip` stores the file.
enum class zip_method { stored, deflated };

/// A zip archive holding one file `name` with `data`, stored or deflated (zlib, level 9), Unix
/// mode `mode` (e.g. 0755), fixed 1980-01-01 timestamp so the same input gives the same bytes.
/// Fails with `errc::payload_too_large` beyond zip32 limits, `errc::internal` if zlib fails.
/// Thread-safe (pure).
result<std::string> single_file_zip(std::string_view name,
                                    std::string_view data,
                                    unsigned mode,
                                    zip_method method = zip_method::deflated);

}  // namespace lift::tool
