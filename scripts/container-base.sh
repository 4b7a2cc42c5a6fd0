#!/usr/bin/env bash
# A Debian 12 base image made from Debian's archive with debootstrap, for a host that reaches Debian's
# mirrors but no container registry (deploy/container/Containerfile's FROM cannot be pulled there).
# Use it: CTDOCTOR_CONTAINER_BASE=localhost/debian:12-debootstrap npm test
# (or buildah bud --build-arg DEBIAN_IMAGE=localhost/debian:12-debootstrap -f deploy/container/Containerfile .)
set -euo pipefail
tag=${1:-localhost/debian:12-debootstrap}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d)
container=
cleanup() {
  [ -n "$container" ] && buildah rm "$container" >/dev/null 2>&1
  rm -rf "$root"
}
trap cleanup EXIT
# minbase: essential packages and apt, as debian:12-slim has.
debootstrap --variant=minbase bookworm "$root" "$mirror"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
container=$(buildah from scratch)
cp -a "$root"/. "$(buildah mount "$container")"/
buildah umount "$container" >/dev/null
buildah config --cmd '["/bin/bash"]' "$container"
buildah commit --quiet "$container" "$tag"
echo "container-base.sh: $tag" >&2
