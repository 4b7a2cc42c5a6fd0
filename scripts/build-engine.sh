#!/usr/bin/env bash
# Rebuilds native/table-engine.wasm from native/table-engine.c (and native/engine-abi.h from
# native/engine-abi.json). The .wasm is committed, so neither `npm ci` nor a user's machine needs a
# compiler; run this after changing the C source or the ABI file.
# `--check` builds into a temporary file and fails unless it is byte for byte the committed one
# (scripts/test.sh runs it, so CI proves the committed .wasm is the source's).
# The same bytes need the same compiler: Debian 12's clang and lld (apt-get install clang lld).
set -euo pipefail
cd "$(dirname "$0")/.."

pinned='Debian clang version 14.0.6'
found=$(clang --version 2>/dev/null | head -n 1 || true)
if [ "$found" != "$pinned" ]; then
  echo "build-engine.sh: needs ${pinned} (Debian 12: apt-get install clang lld), found: ${found:-no clang}" >&2
  exit 1
fi
command -v wasm-ld >/dev/null || {
  echo "build-engine.sh: needs wasm-ld (Debian 12: apt-get install lld)" >&2
  exit 1
}

build() {
  clang --target=wasm32 -O3 -nostdlib -ffreestanding -fno-builtin-memset \
    -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-debug -Wl,-z,stack-size=65536 \
    -o "$1" native/table-engine.c
}

if [ "${1:-}" = --check ]; then
  node scripts/engine-abi.mjs --check
  built=$(mktemp --suffix=.wasm)
  trap 'rm -f "$built"' EXIT
  build "$built"
  if ! cmp -s "$built" native/table-engine.wasm; then
    echo "native/table-engine.wasm is not built from native/table-engine.c: run npm run build:engine and commit it" >&2
    exit 1
  fi
  echo "native/table-engine.wasm: rebuilt from source, identical"
  exit 0
fi

node scripts/engine-abi.mjs
build native/table-engine.wasm
echo "native/table-engine.wasm: $(stat -c %s native/table-engine.wasm) bytes, sha256 $(sha256sum native/table-engine.wasm | cut -c1-16)"
