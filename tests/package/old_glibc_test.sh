#!/usr/bin/env bash
# Opt-in (make test-package-glibc): asks an older glibc's own loader what the packaged
# bootstraps need. Debian's mirrors (the only ones reachable here) have no glibc 2.34 or 2.35
# release, so the root is Debian bullseye (glibc 2.31), made once with debootstrap and cached.
# A binary linked against glibc >= 2.34 always needs GLIBC_2.34 (__libc_start_main), so it
# cannot start on 2.31; instead, bullseye's ldd (LD_WARN) lists every glibc version the binary
# needs that 2.31 lacks, and the test requires all of them to be <= GLIBC_2.34 and every shared
# library to be found. A control built the naive way (-static-libstdc++ -static-libgcc, no
# src/lambda/glibc_compat.cpp) must show GLIBC_2.35 and GLIBC_2.36 there, or the test fails.
#
#   tests/package/old_glibc_test.sh BUILD_DIR [ROOT_DIR]
#
# Needs root (debootstrap, chroot), debootstrap and network access to deb.debian.org once.
set -euo pipefail

build=${1:?usage: old_glibc_test.sh BUILD_DIR [ROOT_DIR]}
root=${2:-${LIFT_OLD_GLIBC_ROOT:-$build/old-glibc-root}}
max=2.34

fail() {
    echo "old_glibc_test: FAIL: $*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and chroot)"
if ! command -v debootstrap >/dev/null; then
    echo "old_glibc_test: installing debootstrap (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
        >/dev/null || fail "debootstrap is not installed and apt-get could not install it"
fi

if [ ! -x "$root/usr/bin/ldd" ]; then
    echo "old_glibc_test: creating a Debian bullseye root in $root (once; ~40 MB download)"
    rm -rf "$root"
    timeout 900 debootstrap --variant=minbase bullseye "$root" http://deb.debian.org/debian \
        >"$build/old-glibc-debootstrap.log" 2>&1 ||
        fail "debootstrap failed; see $build/old-glibc-debootstrap.log"
fi
root_glibc=$(chroot "$root" /usr/bin/ldd --version | sed -n "1s/.* \([0-9][0-9.]*\)$/\1/p")
echo "old_glibc_test: root glibc $root_glibc"

# newer(a, b): a > b as versions
newer() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" = "$1" ] && [ "$1" != "$2" ]; }

# Prints the glibc versions $root's loader reports missing for binary $1 (one per line).
missing_versions() {
    local name
    name=$(basename "$(dirname "$1")")-$(basename "$1")
    mkdir -p "$root/var/task"
    cp "$1" "$root/var/task/$name"
    chroot "$root" env LD_WARN=yes /usr/bin/ldd "/var/task/$name" >"$tmp/$name.ldd" 2>&1 || true
    if grep -q "not found" "$tmp/$name.ldd" && grep "not found" "$tmp/$name.ldd" | grep -vq "version"; then
        cat "$tmp/$name.ldd" >&2
        fail "$1: a shared library is missing in the glibc $root_glibc root"
    fi
    grep -oE "version \`GLIBC_[0-9.]+' not found" "$tmp/$name.ldd" | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' |
        sort -uV
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Control: the naive static libstdc++/libgcc link must be caught.
printf '%s\n' '#include <random>' '#include <stdexcept>' \
    'int main(int c, char**) { std::random_device r; try { if (c) throw std::runtime_error("x"); }' \
    '  catch (const std::exception&) { return static_cast<int>(r() & 0); } return 1; }' >"$tmp/control.cpp"
mkdir -p "$tmp/control"
g++ -O2 -std=c++20 "$tmp/control.cpp" -static-libstdc++ -static-libgcc -o "$tmp/control/bootstrap"
control=$(missing_versions "$tmp/control/bootstrap" | tr '\n' ' ')
echo "old_glibc_test: control (no glibc_compat) needs from glibc > $root_glibc: $control"
for v in 2.35 2.36; do
    grep -qw "$v" <<<"$control" || fail "control does not need GLIBC_$v: the check would not catch it"
done

checked=0
for bin in "$build"/lambda/*/bootstrap; do
    [ -x "$bin" ] || continue
    versions=$(missing_versions "$bin" | tr '\n' ' ')
    echo "old_glibc_test: $bin needs from glibc > $root_glibc: ${versions:-nothing}"
    for v in $versions; do
        if newer "$v" "$max"; then
            fail "$bin needs GLIBC_$v, newer than $max (Amazon Linux 2023)"
        fi
    done
    checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || fail "no bootstraps under $build/lambda/ (build them first)"
echo "old_glibc_test: ok: $checked bootstraps need nothing newer than GLIBC_$max"
