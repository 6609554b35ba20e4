# shellcheck shell=bash
# Shared by the bench scripts (source it): build benchmark targets, check binaries are there.
# Uses ROOT, BUILD_DIR, RESULTS_DIR and JOBS from the caller.

# bench_build TARGET...: configure BUILD_DIR (Release, benchmarks on, tests off) and build the
# targets; logs go to RESULTS_DIR, and their tail to stderr on failure (then exits 1).
bench_build() {
    if ! cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DLIFT_BUILD_BENCH=ON -DLIFT_BUILD_TESTS=OFF >"$RESULTS_DIR/cmake-configure.log" 2>&1; then
        cat "$RESULTS_DIR/cmake-configure.log" >&2
        exit 1
    fi
    if ! cmake --build "$BUILD_DIR" -j "$JOBS" --target "$@" >"$RESULTS_DIR/cmake-build.log" 2>&1; then
        tail -50 "$RESULTS_DIR/cmake-build.log" >&2
        exit 1
    fi
}

# bench_require SCRIPT HINT EXE...: exits 1 naming the first of BUILD_DIR/bin/EXE that is missing.
bench_require() {
    local script=$1 hint=$2 exe
    shift 2
    for exe in "$@"; do
        [[ -x $BUILD_DIR/bin/$exe ]] || {
            echo "$script: $BUILD_DIR/bin/$exe is missing ($hint)" >&2
            exit 1
        }
    done
}
