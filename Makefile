# Lift for C++ — the two commands: `make run` and `make test`. See `make help`.
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PORT       ?= 3001
CTEST_ARGS ?=

CONFIGURED := $(BUILD_DIR)/build.ninja

.PHONY: help run test build deps deps-build configure example-echo clean format format-check bench \
        package test-package-glibc conformance fuzz fuzz-build fuzz-smoke test-asan test-tsan test-sanitizers soak

help: ## show this help
	@echo "Lift for C++"
	@echo "  make run     install what is missing, build (Release), start the chat example on"
	@echo "               ws://127.0.0.1:$(PORT)/dev with its page at http://127.0.0.1:$(PORT)/"
	@echo "  make test    install what is missing, build, run every test (CTest summary at the end)"
	@echo "  make build   build everything; executables land in $(BUILD_DIR)/bin/"
	@echo "  make bench   echo benchmark against serverless-offline and a bare Beast server"
	@echo "  make package TARGET=example-chat   Lambda zip in dist/ (lift package)"
	@echo "  make fuzz    every libFuzzer target for FUZZ_SECONDS=300 (make test runs them 6 s each)"
	@echo "  make test-asan / make test-tsan   unit+integration under ASan+UBSan / gateway under TSan"
	@echo "  make test-sanitizers   both of them (CI runs it after make test)"
	@echo "  make soak    soak/churn/slowloris/abuse runs, ~25 min (SOAK=idle|broadcast|churn|slowloris|abuse)"
	@echo "  make conformance   RFC 6455 case catalogue (both profiles) + differential check"
	@echo "  make test-package-glibc   opt-in: bootstraps checked by an older glibc's loader"
	@echo "  make format  clang-format every C++ file;  make clean  remove $(BUILD_DIR)/"
	@echo "Variables: PORT=$(PORT) BUILD_DIR=$(BUILD_DIR) BUILD_TYPE=$(BUILD_TYPE) JOBS=$(JOBS)"
	@echo "           CTEST_ARGS='-L unit' (e.g. run one label)"

deps: ## Debian packages + pinned npm test clients
	@scripts/install-deps.sh

deps-build: ## only what building and running need
	@scripts/install-deps.sh --build

$(CONFIGURED):
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(CONFIGURED)

build: deps-build configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: deps-build configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target example-chat
	$(BUILD_DIR)/bin/example-chat --port $(PORT)

test: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300 $(CTEST_ARGS)
	$(MAKE) --no-print-directory fuzz-smoke

# libFuzzer targets (tests/fuzz): clang + ASan + UBSan in their own build directory.
FUZZ_DIR     ?= build-fuzz
FUZZ_SECONDS ?= 300
fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLIFT_FUZZ=ON -DLIFT_BUILD_TESTS=OFF -DLIFT_BUILD_TOOLS=OFF -DLIFT_BUILD_EXAMPLES=OFF \
		-DLIFT_BUILD_LAMBDA=OFF >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target lift_fuzzers

fuzz-smoke: fuzz-build ## each fuzz target for 6 s (part of `make test`)
	scripts/fuzz.sh $(FUZZ_DIR) 6

fuzz: fuzz-build ## each fuzz target for FUZZ_SECONDS (default 300)
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# Soak, churn and exhaustion runs (tests/soak; ~25 min; not part of `make test`).
SOAK ?= all
soak: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target example-echo
	/usr/bin/python3 tests/soak/soak.py --echo $(BUILD_DIR)/bin/example-echo $(SOAK)

# Sanitizer suites (CMake presets asan, tsan): unit + integration under ASan+UBSan; the gateway
# integration tests under TSan.
test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan --no-tests=error -j $(JOBS) --timeout 600

test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS) --target lift_gateway_integration_tests \
		lift_function_gateway_tests
	ctest --preset tsan --no-tests=error -R '^(gateway_test|function_gateway_test|function_host_test)[.]' \
		--timeout 600

test-sanitizers: test-asan test-tsan

bench: deps
	bench/echo_vs_peers.sh

# RFC 6455 case catalogue (tests/conformance): starts example-echo itself in each profile.
conformance: deps-build configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target example-echo ws_oracle
	@for p in apigw protocol; do \
		/usr/bin/python3 tests/conformance/run_catalogue.py --profile $$p \
			--start $(BUILD_DIR)/bin/example-echo || exit 1; \
	done
	/usr/bin/python3 tests/conformance/differential.py --oracle $(BUILD_DIR)/bin/ws_oracle

TARGET ?= example-chat
package: deps-build configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target lift
	$(BUILD_DIR)/bin/lift package --target $(TARGET) --build-dir $(BUILD_DIR) --out dist

# Opt-in: needs root, debootstrap and deb.debian.org once (the root is cached in $(BUILD_DIR)).
test-package-glibc: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target example-echo-bootstrap example-chat-bootstrap \
		lambda-probe-bootstrap
	tests/package/old_glibc_test.sh $(BUILD_DIR)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD_DIR)
