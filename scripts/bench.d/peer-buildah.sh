#!/usr/bin/env bash
# Peer (c): the same patch done with buildah, one platform after the other.
# Usage: peer-buildah.sh APP AGENT TARGET STORAGE CID
#   APP, AGENT: references of the two-platform app and agent images, e.g.
#   oci:DIR/app:1 (offline) or docker://HOST/app:1 (registry; plain HTTP).
#   TARGET is either oci:DIR, a layout (tag p = the two-platform index, plus the
#   per-platform tags buildah committed), or docker://HOST/REPO:TAG: then each
#   platform is committed to the private storage and the list is pushed with
#   `buildah manifest push --all`. STORAGE holds buildah's private root and runroot,
#   so the caller can wipe it between runs and nothing touches the host's storage.
set -euo pipefail
app_ref=$1 agent_ref=$2 target=$3 storage=$4 cid=$5
# Plain-HTTP registries (the benchmark's) need TLS verification off.
tls=()
[[ $app_ref != docker://* && $agent_ref != docker://* && $target != docker://* ]] || tls=(--tls-verify=false)
install=/opt/CrowdStrike/rootfs
include=(bin etc lib lib64 usr entrypoint-ecs.sh)     # imagepatch's falcon --include default
declare -A loader=([amd64]=ld-linux-x86-64.so.2 [arm64]=ld-linux-aarch64.so.1)
# vfs: the storage driver that works here without overlay support; a private
# root/runroot under BENCH_DIR.
b() { buildah --storage-driver vfs --root "$storage/root" --runroot "$storage/runroot" "$@"; }

for arch in amd64 arm64; do
  # Pulls the platform into containers-storage: decompresses every layer, and vfs
  # materialises each layer as a full copy of the tree below it.
  b from -q "${tls[@]}" --arch "$arch" --name "app-$arch" "$app_ref" >/dev/null
  b from -q "${tls[@]}" --arch "$arch" --name "agent-$arch" "$agent_ref" >/dev/null
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
  if [[ $target == docker://* ]]; then
    # Into the private storage; the push below compresses (gzip) what it uploads.
    b commit -q "app-$arch" "patched-$arch" >/dev/null
  else
    # gzip layers like the source and like imagepatch's output; buildah's default for
    # commit is uncompressed (--disable-compression=true). Every layer is re-exported
    # from storage and recompressed, the app's included.
    b commit -q --disable-compression=false "app-$arch" "$target:$arch" >/dev/null
  fi
done

# The multi-arch output, the way buildah does it: a manifest list pushed with --all.
b manifest create patched >/dev/null
for arch in amd64 arm64; do
  if [[ $target == docker://* ]]; then
    b manifest add patched "containers-storage:localhost/patched-$arch:latest" >/dev/null
  else
    b manifest add patched "$target:$arch" >/dev/null
  fi
done
if [[ $target == docker://* ]]; then
  b manifest push -q "${tls[@]}" --all patched "$target"
else
  b manifest push -q --all patched "$target:p"
fi
