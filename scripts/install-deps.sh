#!/usr/bin/env bash
# Installs what Lift needs to build, run and test, only when it is missing.
#
#   scripts/install-deps.sh            build + run dependencies and the pinned npm test clients
#   scripts/install-deps.sh --build    build + run dependencies only (what `make run` needs)
#   scripts/install-deps.sh --help
#
# Debian packages come from apt-get (non-interactive); npm test clients come from the lockfile
# in tests/interop/ (npm ci, exact versions). Nothing else is downloaded.
set -euo pipefail

mode=all
case "${1:-}" in
"") ;;
--build) mode=build ;;
-h | --help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "install-deps.sh: unknown option '$1' (try --help)" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

build_pkgs=(
    g++ cmake ninja-build make pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libssl-dev libfmt-dev libcli11-dev zlib1g-dev
)
test_pkgs=(
    libgtest-dev libgmock-dev googletest libbenchmark-dev
    clang-format python3 python3-websockets chromium nodejs
    # PyJWT (Debian's) mints the tokens of the JWT tests as an independent issuer.
    python3-jwt python3-cryptography
    # libFuzzer targets (tests/fuzz): clang 14 with its sanitizer and fuzzer runtimes.
    clang libclang-rt-14-dev
    # make soak: slow-header clients (tests/soak).
    slowhttptest
    # npm aws-lambda-ric (the Node.js Runtime Interface Client behind `lift gateway` in the
    # interop tests) builds curl and aws-lambda-cpp from source when `npm ci` installs it.
    autoconf automake libtool
)

pkgs=("${build_pkgs[@]}")
[ "$mode" = all ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# nodejs may come from another source than Debian (e.g. nodesource); a working node is enough.
if [ ${#missing[@]} -gt 0 ] && command -v node >/dev/null && command -v npm >/dev/null; then
    filtered=()
    for p in "${missing[@]}"; do [ "$p" = nodejs ] || filtered+=("$p"); done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "install-deps: Debian packages present"
fi

if [ "$mode" = all ]; then
    lock="$root/tests/interop/package-lock.json"
    mods="$root/tests/interop/node_modules"
    stamp="$mods/.lift-lock-stamp"
    if [ -f "$lock" ]; then
        want=$(sha256sum "$lock" | cut -d' ' -f1)
        have=$(cat "$stamp" 2>/dev/null || true)
        if [ "$want" != "$have" ]; then
            echo "install-deps: installing npm test clients from tests/interop/package-lock.json"
            (cd "$root/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)
            echo "$want" >"$stamp"
        else
            echo "install-deps: npm test clients present"
        fi
    fi
fi
