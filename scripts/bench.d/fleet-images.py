#!/usr/bin/env python3
"""Derive the fleet benchmark's app images from the generated app:1, cheaply.

Usage: fleet-images.py APP_LAYOUT TAG OUT_LAYOUT COUNT

Writes OUT_LAYOUT, an OCI layout with tags v0 .. v{COUNT-1}. Each is a two-platform index
like APP_LAYOUT:TAG whose platform configs carry one more label, bench.fleet.variant=N, so
every image (and so every patched result) has its own digests, as a real fleet's images do.
The layers are the app's own, hard-linked (copied when a link is not possible): a variant
costs two small configs, two manifests and an index, and pushing all of them uploads the
app's layers once per repository. Real fleets share base layers too, though rarely all of
them; what the patch does per image (read the manifests and configs, mount the agent layer,
push configs and manifests) is the same either way, since app layers are never re-uploaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

REF_NAME = "org.opencontainers.image.ref.name"
MAX_COUNT = 1000
MAX_JSON = 4 * 1024 * 1024


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=False).encode()


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"

    def read(self, digest: str) -> bytes:
        algorithm, _, hex_ = digest.partition(":")
        if algorithm != "sha256" or len(hex_) != 64 or not all(c in "0123456789abcdef" for c in hex_):
            raise SystemExit(f"fleet-images: {digest!r} is not a sha256 digest (in {self.root})")
        path = self.blobs / hex_
        if path.stat().st_size > MAX_JSON:
            raise SystemExit(f"fleet-images: {digest} in {self.root} is too big for JSON")
        return path.read_bytes()

    def write(self, data: bytes, media_type: str) -> dict:
        hex_ = hashlib.sha256(data).hexdigest()
        path = self.blobs / hex_
        if not path.exists():
            path.write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{hex_}", "size": len(data)}

    def link_from(self, other: "Layout", digest: str) -> None:
        hex_ = digest.split(":", 1)[1]
        target = self.blobs / hex_
        if target.exists():
            return
        try:
            os.link(other.blobs / hex_, target)
        except OSError:
            shutil.copyfile(other.blobs / hex_, target)


def main() -> None:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__.strip().splitlines()[2])
    source, tag, out_root, count_text = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_COUNT:
        raise SystemExit(f"fleet-images: COUNT must be between 1 and {MAX_COUNT}, not {count_text!r}")
    count = int(count_text)
    app = Layout(source)
    top = json.loads((source / "index.json").read_text())
    tagged = [m for m in top["manifests"] if m.get("annotations", {}).get(REF_NAME) == tag]
    if len(tagged) != 1:
        raise SystemExit(f"fleet-images: {source} has no single tag {tag!r}")
    index = json.loads(app.read(tagged[0]["digest"]))

    out = Layout(out_root)
    out.blobs.mkdir(parents=True, exist_ok=True)
    (out_root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    platforms = []
    for entry in index["manifests"]:
        manifest = json.loads(app.read(entry["digest"]))
        for layer in manifest["layers"]:
            out.link_from(app, layer["digest"])
        platforms.append((entry, manifest, json.loads(app.read(manifest["config"]["digest"]))))

    tags = []
    for n in range(count):
        entries = []
        for entry, manifest, config in platforms:
            config = json.loads(json.dumps(config))
            labels = config.setdefault("config", {}).get("Labels") or {}
            labels["bench.fleet.variant"] = str(n)
            config["config"]["Labels"] = labels
            edited = dict(manifest)
            edited["config"] = out.write(dumps(config), manifest["config"]["mediaType"])
            descriptor = out.write(dumps(edited), entry["mediaType"])
            descriptor["platform"] = entry["platform"]
            entries.append(descriptor)
        variant = dict(index)
        variant["manifests"] = entries
        descriptor = out.write(dumps(variant), tagged[0]["mediaType"])
        descriptor["annotations"] = {REF_NAME: f"v{n}"}
        tags.append(descriptor)
    (out_root / "index.json").write_bytes(dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": tags}))


if __name__ == "__main__":
    main()
