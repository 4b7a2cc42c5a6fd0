#!/usr/bin/env bash
# Runs a real sysctl applier over a generated sysctl.d tree and prints the resulting values.
# Usage (from a test): ip netns exec LAB unshare --mount --propagation private \
#          bash sysctl-sandbox.sh TREE systemd|procps KEY...
# The mounts live only in this private mount namespace; the keys must be per-network-namespace
# (conntrack timeouts), so nothing outside the lab namespace changes.
set -euo pipefail
tree=$1 applier=$2
shift 2
if [ "$(stat -L -c %i /proc/self/ns/net)" = "$(stat -L -c %i /proc/1/ns/net)" ]; then
  echo "sysctl-sandbox: refusing to run in the initial network namespace" >&2
  exit 2
fi
mount --make-rprivate /
mount -t tmpfs ctdoctor-sandbox /run
mount -t tmpfs ctdoctor-sandbox /usr/local/lib
mkdir -p /run/sysctl.d /usr/local/lib/sysctl.d
for dir in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d; do
  mkdir -p "$tree$dir"
  mount --bind "$tree$dir" "$dir"
done
[ -e "$tree/etc/sysctl.conf" ] || : > "$tree/etc/sysctl.conf"
mount --bind "$tree/etc/sysctl.conf" /etc/sysctl.conf
for key in "$@"; do echo 7 > "/proc/sys/${key//.//}"; done
case $applier in
  systemd) /lib/systemd/systemd-sysctl --prefix=/net/netfilter 2>/dev/null || true ;;
  procps) sysctl -q --pattern 'net[./]netfilter[./]' --system >/dev/null 2>&1 || true ;;
  *) echo "unknown applier $applier" >&2; exit 2 ;;
esac
for key in "$@"; do printf '%s=%s\n' "$key" "$(cat "/proc/sys/${key//.//}")"; done
