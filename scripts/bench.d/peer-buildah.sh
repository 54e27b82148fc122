#!/usr/bin/env bash
# Peer (c): the same patch done with buildah, one platform after the other.
# Usage: peer-buildah.sh IMAGES OUT STORAGE CID
#   OUT is the target layout (tag p = the two-platform index, plus the per-platform
#   tags buildah committed); STORAGE holds buildah's private root and runroot, so
#   the caller can wipe it between runs and nothing touches the host's storage.
set -euo pipefail
images=$1 out=$2 storage=$3 cid=$4
install=/opt/CrowdStrike/rootfs
include=(bin etc lib lib64 usr entrypoint-ecs.sh)     # imagepatch's falcon --include default
declare -A loader=([amd64]=ld-linux-x86-64.so.2 [arm64]=ld-linux-aarch64.so.1)
# vfs: the storage driver that works here without overlay support; a private
# root/runroot under BENCH_DIR.
b() { buildah --storage-driver vfs --root "$storage/root" --runroot "$storage/runroot" "$@"; }

for arch in amd64 arm64; do
  # Pulls the platform into containers-storage: decompresses every layer, and vfs
  # materialises each layer as a full copy of the tree below it.
  b from -q --arch "$arch" --name "app-$arch" "oci:$images/app:1" >/dev/null
  b from -q --arch "$arch" --name "agent-$arch" "oci:$images/agent:7" >/dev/null
  # a=rX has no `buildah copy` spelling (--chmod gives files and directories one mode),
  # so normalise the agent container's tree in place first; it is scratch.
  agent=$(b mount "agent-$arch")
  for p in "${include[@]}"; do
    if [ -e "$agent/$p" ] || [ -L "$agent/$p" ]; then
      chmod -R a=rX "$agent/$p"
      # One copy per path: a directory source copies its contents, as Docker's COPY does.
      b copy -q --from "agent-$arch" "app-$arch" "/$p" "$install/$p" >/dev/null
    fi
  done
  old=$(b inspect --type container "app-$arch" | jq -c .OCIv1.config.Entrypoint)
  entrypoint=$(jq -c -n --argjson old "$old" --arg i "$install" --arg l "${loader[$arch]}" \
    '[$i + "/lib64/" + $l, "--library-path", $i + "/lib64", $i + "/bin/bash", $i + "/entrypoint-ecs.sh"] + ($old // [])')
  b config --entrypoint "$entrypoint" \
    --env "FALCONCTL_OPTS=--cid=$cid" --env CS_CLOUD_SERVICE=ECS_FARGATE \
    --env "__CS_FALCON_SENSOR_ROOT=$install" "app-$arch" 2>/dev/null  # (warns that Cmd is kept: intended)
  # gzip layers like the source and like imagepatch's output; buildah's default for
  # commit is uncompressed (--disable-compression=true). Every layer is re-exported
  # from storage and recompressed, the app's included.
  b commit -q --disable-compression=false "app-$arch" "oci:$out:$arch" >/dev/null
done

# The multi-arch output, the way buildah does it: a manifest list pushed with --all.
b manifest create patched >/dev/null
for arch in amd64 arm64; do b manifest add patched "oci:$out:$arch" >/dev/null; done
b manifest push -q --all patched "oci:$out:p"
