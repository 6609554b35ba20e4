// Definitions that keep a Lambda `bootstrap` linked on Debian 12 (glibc 2.36) loadable on
// Amazon Linux 2023 (glibc 2.34). Linked only into bootstraps (cmake/lift_add_lambda.cmake),
// as objects, so these definitions are in the link before libstdc++.a and libgcc_eh.a are
// searched: their references bind here instead of to the versioned glibc symbols.
//
//   arc4random       GLIBC_2.36  std::random_device (libstdc++.a random.o) for its default token
//   _dl_find_object  GLIBC_2.35  the C++ unwinder (libgcc_eh.a unwind-dw2-fde-dip.o) finds the
//                                .eh_frame_hdr of the object holding a pc; GCC 12's libgcc was
//                                built against glibc 2.36, so it calls this unconditionally and
//                                treats "not found" as "no unwind info" (std::terminate). This
//                                one is therefore a real implementation on top of
//                                dl_iterate_phdr (GLIBC_2.2.5), not a stub.
//
// Both are thread-safe: arc4random is a getrandom(2) loop; _dl_find_object only reads what
// dl_iterate_phdr reports, and dl_iterate_phdr holds the loader lock while it iterates.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/random.h>

namespace {

// glibc 2.35+ declares _dl_find_object and its struct in <dlfcn.h> (under _GNU_SOURCE, which
// g++ defines); with older headers (e.g. a cross sysroot) we declare the same documented layout.
#ifdef DLFO_STRUCT_HAS_EH_DBASE
using dlfo_t = struct dl_find_object;
#else
struct dlfo_t {
    unsigned long long dlfo_flags;
    void* dlfo_map_start;
    void* dlfo_map_end;
    struct link_map* dlfo_link_map;
    void* dlfo_eh_frame;
    unsigned long long reserved[7];
};
#endif

struct find_state {
    std::uintptr_t pc;
    dlfo_t* out;
    bool found;
};

int find_object_callback(dl_phdr_info* info, std::size_t /*size*/, void* data) {
    auto* state = static_cast<find_state*>(data);
    std::uintptr_t lowest = UINTPTR_MAX;
    std::uintptr_t highest = 0;
    bool contains = false;
    const ElfW(Phdr)* eh_frame = nullptr;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info->dlpi_phdr[i];
        if (ph.p_type == PT_LOAD) {
            const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
            const std::uintptr_t end = start + ph.p_memsz;
            lowest = start < lowest ? start : lowest;
            highest = end > highest ? end : highest;
            if (state->pc >= start && state->pc < end) {
                contains = true;
            }
        } else if (ph.p_type == PT_GNU_EH_FRAME) {
            eh_frame = &ph;
        }
    }
    if (!contains) {
        return 0;  // keep iterating
    }
    auto* out = state->out;
    out->dlfo_flags = 0;
    out->dlfo_map_start = reinterpret_cast<void*>(lowest);
    out->dlfo_map_end = reinterpret_cast<void*>(highest);
    out->dlfo_link_map = nullptr;  // not needed by the unwinder; no public way to get it here
    out->dlfo_eh_frame = eh_frame != nullptr
                             ? reinterpret_cast<void*>(info->dlpi_addr + eh_frame->p_vaddr)
                             : nullptr;
    state->found = true;
    return 1;  // stop
}

}  // namespace

extern "C" {

/// Fills `result` for the loaded object whose PT_LOAD segments contain `address`; returns 0,
/// or -1 when no loaded object contains it (glibc's contract). Thread-safe.
__attribute__((visibility("hidden"))) int _dl_find_object(void* address, dlfo_t* result) noexcept {
    find_state state{reinterpret_cast<std::uintptr_t>(address), result, false};
    dl_iterate_phdr(find_object_callback, &state);
    return state.found ? 0 : -1;
}

/// A uniformly random 32-bit value from the kernel CSPRNG (getrandom(2), GLIBC_2.25). Like
/// glibc's, it cannot fail: if the kernel refuses (it never does on Lambda), the process
/// aborts rather than return a predictable value. Thread-safe.
__attribute__((visibility("hidden"))) std::uint32_t arc4random() noexcept {
    std::uint32_t value = 0;
    auto* bytes = reinterpret_cast<unsigned char*>(&value);
    std::size_t got = 0;
    for (int attempts = 0; got < sizeof value; ++attempts) {
        const ssize_t n = getrandom(bytes + got, sizeof value - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        } else if (!(n < 0 && errno == EINTR) || attempts > 1000) {
            std::abort();
        }
    }
    return value;
}

}  // extern "C"
