#!/usr/bin/env bash
# Rebuilds native/table-engine.wasm from native/table-engine.c. The .wasm is committed, so neither
# `npm ci` nor a user's machine needs a compiler; run this after changing the C source.
# Needs Debian's clang and lld (apt-get install clang lld).
set -euo pipefail
cd "$(dirname "$0")/.."
clang --target=wasm32 -O3 -nostdlib -ffreestanding -fno-builtin-memset \
  -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext \
  -Wall -Wextra -Werror -Wno-unused-parameter \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-debug -Wl,-z,stack-size=65536 \
  -o native/table-engine.wasm native/table-engine.c
echo "native/table-engine.wasm: $(stat -c %s native/table-engine.wasm) bytes, sha256 $(sha256sum native/table-engine.wasm | cut -c1-16)"
