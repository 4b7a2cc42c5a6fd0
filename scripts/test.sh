#!/usr/bin/env bash
# The whole test suite: lint, type-check/build, unit + e2e tests, then the real-kernel tests.
# Installs the Debian packages the kernel tests need when they are missing (root only).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v conntrack >/dev/null || need+=(conntrack)
command -v nft >/dev/null || need+=(nftables)
command -v iptables >/dev/null || need+=(iptables)
command -v ipset >/dev/null || need+=(ipset)
command -v ip >/dev/null || need+=(iproute2)
# counterFindings.test.ts: bare ACKs that conntrack counts invalid.
command -v hping3 >/dev/null || need+=(hping3)
command -v nsenter >/dev/null || need+=(util-linux)
# serve's --alert-log syslog runs util-linux's logger, which Debian packages in bsdutils.
command -v logger >/dev/null || need+=(bsdutils)
command -v sysctl >/dev/null || need+=(procps)
[ -x /lib/systemd/systemd-sysctl ] || need+=(systemd)
# deploy/'s tests: systemd-analyze verifies the unit, setpriv runs serve with only its capabilities.
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v setpriv >/dev/null || need+=(util-linux)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
# serve's tests: promtool lints /metrics, node_exporter's conntrack collector is the reference.
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null || need+=(prometheus-node-exporter)
# serve's security test makes a self-signed certificate; its dashboard test drives Debian's Chromium
# through playwright-core (no browser download: CHROMIUM_PATH or /usr/bin/chromium).
command -v openssl >/dev/null || need+=(openssl)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
# The engine rebuild check below: the compiler scripts/build-engine.sh pins (Debian 12's).
command -v clang >/dev/null || need+=(clang)
command -v wasm-ld >/dev/null || need+=(lld)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: kernel tests need root and these packages: ${need[*]}" >&2
    exit 1
  fi
  echo "test.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

[ -d node_modules ] || npm ci
npx biome check src test bench scripts
bash scripts/build-engine.sh --check
npm run --silent build
# --no-concurrent-recompilation (passed on to every test process): Node 20 can deadlock as a test
# process exits, its main thread draining the platform's tasks while a background TurboFan job
# waits for that thread to collect garbage (nodejs/node#54918; seen here once, a unit test file
# that never exited). Compiling on the main thread leaves no such job.
node --no-concurrent-recompilation --test --test-concurrency=1 dist/test/unit dist/test/e2e dist/test/kernel
