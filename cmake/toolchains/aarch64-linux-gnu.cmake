# Cross-build for AWS Lambda arm64 (Graviton) from Debian 12 x86_64 — see docs/lambda.md,
# "arm64". Needs g++-aarch64-linux-gnu and the arm64 (multiarch) -dev packages:
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install g++-aarch64-linux-gnu libboost1.81-dev:arm64 libboost-json1.81-dev:arm64 \
#     libboost-url1.81-dev:arm64 libssl-dev:arm64 libfmt-dev:arm64 libcli11-dev
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#     -DLIFT_BUILD_TESTS=OFF -DLIFT_BUILD_TOOLS=OFF
#   cmake --build build-arm64 --target example-chat-bootstrap
#   build/bin/lift package --binary build-arm64/lambda/example-chat/bootstrap \
#     --name example-chat-arm64 --arch arm64 --out dist/
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Libraries and headers from the arm64 multiarch directories only; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
