#!/usr/bin/env bash
# Peer (b): the same patch done with skopeo + umoci, one platform after the other.
# Usage: peer-umoci.sh APP AGENT OUT WORK CID [PUSH]
#   APP, AGENT: skopeo references of the two-platform app and agent images, e.g.
#   oci:DIR/app:1 (offline) or docker://HOST/app:1 (registry; plain HTTP).
#   OUT is the work layout (tag p = the two-platform index, plus the per-platform
#   tags amd64/arm64 umoci edited); WORK is scratch space (agent rootfs), deleted by
#   the caller. With PUSH (docker://HOST/REPO:TAG), each platform is pushed as
#   TAG-ARCH as soon as it is done, then the index as TAG: skopeo cannot make a
#   list, so the hand-made index in OUT is pushed with `skopeo copy --all` (its
#   blobs and manifests are already there: HEADs, two manifest PUTs, the index).
set -euo pipefail
app_ref=$1 agent_ref=$2 out=$3 work=$4 cid=$5 push=${6:-}
# Plain-HTTP registries (the benchmark's) need TLS verification off; oci: ignores it.
src=() dest=()
[[ $app_ref != docker://* && $agent_ref != docker://* ]] || src=(--src-tls-verify=false)
[ -z "$push" ] || dest=(--dest-tls-verify=false)
install=/opt/CrowdStrike/rootfs
# What imagepatch's falcon preset takes from the agent tree (its --include default).
include=(bin etc lib lib64 usr entrypoint-ecs.sh)
declare -A loader=([amd64]=ld-linux-x86-64.so.2 [arm64]=ld-linux-aarch64.so.1)

blob() { echo "$out/blobs/sha256/${1#sha256:}"; }
# The manifest descriptor a tag of $out points at.
tagged() { jq -c --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)' "$out/index.json"; }

for arch in amd64 arm64; do
  # The app: copy the platform's blobs as they are (no recompression), as imagepatch does.
  skopeo copy -q "${src[@]}" --override-arch "$arch" "$app_ref" "oci:$out:$arch"
  # The agent: one platform to a scratch layout, then its layers applied (whiteouts
  # honoured) into a plain rootfs. `raw unpack` skips the runtime bundle and the
  # mtree `umoci unpack` would also write, which this job does not need.
  skopeo copy -q "${src[@]}" --override-arch "$arch" "$agent_ref" "oci:$work/agent:$arch"
  umoci raw unpack --image "$work/agent:$arch" "$work/rootfs-$arch"
  # Keep only the included top-level paths, in a directory inserted as the install dir.
  mkdir "$work/stage-$arch"
  for p in "${include[@]}"; do
    if [ -e "$work/rootfs-$arch/$p" ] || [ -L "$work/rootfs-$arch/$p" ]; then
      mv "$work/rootfs-$arch/$p" "$work/stage-$arch/"
    fi
  done
  chmod -R a=rX "$work/stage-$arch"           # the Falcon docs' mode normalisation
  umoci insert --image "$out:$arch" "$work/stage-$arch" "$install"

  # Entrypoint = the ECS launcher + the app's old Entrypoint; the preset's Env.
  config=$(jq -r .config.digest "$(blob "$(tagged "$arch" | jq -r .digest)")")
  mapfile -t old_entrypoint < <(jq -r '.config.Entrypoint // [] | .[]' "$(blob "$config")")
  args=()
  for e in "$install/lib64/${loader[$arch]}" --library-path "$install/lib64" \
           "$install/bin/bash" "$install/entrypoint-ecs.sh" "${old_entrypoint[@]}"; do
    args+=(--config.entrypoint "$e")
  done
  umoci config --image "$out:$arch" "${args[@]}" \
    --config.env "FALCONCTL_OPTS=--cid=$cid" --config.env CS_CLOUD_SERVICE=ECS_FARGATE \
    --config.env "__CS_FALCON_SENSOR_ROOT=$install"
  [ -z "$push" ] || skopeo copy -q "${dest[@]}" "oci:$out:$arch" "$push-$arch"
done

# The multi-arch output: an index of the two edited manifests, tagged p (umoci has no
# index support, so jq writes it), then drop the blobs umoci's edits left unreferenced.
index=$(jq -c -n --argjson a "$(tagged amd64)" --argjson b "$(tagged arm64)" '
  {schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
   manifests: [$a, $b] | map(del(.annotations)) }
  | .manifests[0].platform = {architecture: "amd64", os: "linux"}
  | .manifests[1].platform = {architecture: "arm64", os: "linux"}')
digest=$(printf '%s' "$index" | sha256sum | cut -d' ' -f1)
printf '%s' "$index" >"$out/blobs/sha256/$digest"
jq -c --arg d "sha256:$digest" --argjson s "${#index}" '.manifests += [{
    mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
    annotations: {"org.opencontainers.image.ref.name": "p"}}]' "$out/index.json" >"$out/index.json.new"
mv "$out/index.json.new" "$out/index.json"
umoci gc --layout "$out"
[ -z "$push" ] || skopeo copy -q "${dest[@]}" --all "oci:$out:p" "$push"
