#!/usr/bin/env python3
"""Describe one tool's output (untimed), so the report can say whether the peers did the same work.

Usage: check-output.py OUT_LAYOUT TAG SOURCE_LAYOUT SOURCE_TAG LISTING_PREFIX [EXPECTED_DIR]

Prints one JSON line per platform: the layer count, whether the app's layers were
kept byte for byte, the Entrypoint, and a summary of the top (agent) layer. Writes
the top layer's entries under the install dir, one `name type mode [-> link]` per
line, to LISTING_PREFIX-ARCH.txt, so the caller can diff them between tools. With
EXPECTED_DIR (gen-images.py's output), also counts which of the non-ASCII paths listed in
EXPECTED_DIR/agent-non-ascii-ARCH.txt the top layer holds.
"""

import gzip
import json
import sys
import tarfile
from pathlib import Path

REF = "org.opencontainers.image.ref.name"
INSTALL = "opt/CrowdStrike/rootfs"


def blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / digest.replace(":", "/")


def manifests(layout: Path, tag: str) -> dict:
    """arch -> manifest, for a tag that points at an index."""
    index = json.loads((layout / "index.json").read_text())
    ref = next(m for m in index["manifests"] if m.get("annotations", {}).get(REF) == tag)
    index = json.loads(blob(layout, ref["digest"]).read_bytes())
    return {m["platform"]["architecture"]: json.loads(blob(layout, m["digest"]).read_bytes())
            for m in index["manifests"]}


def norm(name: str) -> str:
    return name.lstrip("./").lstrip("/").rstrip("/")


def entries(path: Path, media_type: str) -> tuple[list[tarfile.TarInfo], bool]:
    """The layer's tar entries, and whether the tar ended early."""
    out = []
    opener = gzip.open if media_type.endswith("gzip") else open
    with opener(path, "rb") as f, tarfile.open(fileobj=f, mode="r|") as tar:
        try:
            for e in tar:
                out.append(e)
        except tarfile.ReadError:
            # umoci 0.4.7's insert layers end without the tar footer (umoci#436, fixed
            # after 0.4.7): every entry is there, GNU tar and Python call it truncated.
            return out, True
    return out, False


def describe(entry: tarfile.TarInfo) -> str:
    kind = {tarfile.DIRTYPE: "d", tarfile.REGTYPE: "f", tarfile.AREGTYPE: "f",
            tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h"}.get(entry.type, "?")
    link = ""
    if entry.issym():
        link = " -> " + entry.linkname
    elif entry.islnk():
        link = " -> " + norm(entry.linkname)
    return f"{norm(entry.name)} {kind} {entry.mode & 0o7777:04o}{link}"


def main() -> None:
    out, tag, src, src_tag, prefix = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4], sys.argv[5]
    expected_dir = Path(sys.argv[6]) if len(sys.argv) > 6 else None
    source = manifests(src, src_tag)
    for arch, manifest in sorted(manifests(out, tag).items()):
        config = json.loads(blob(out, manifest["config"]["digest"]).read_bytes())
        layers, top = manifest["layers"], manifest["layers"][-1]
        all_entries, truncated = entries(blob(out, top["digest"]), top["mediaType"])
        agent = [e for e in all_entries if norm(e.name).startswith(INSTALL + "/")]
        Path(f"{prefix}-{arch}.txt").write_text("".join(sorted(describe(e) + "\n" for e in agent)))
        non_ascii = None
        if expected_dir is not None:
            want = (expected_dir / f"agent-non-ascii-{arch}.txt").read_text().splitlines()
            have = {norm(e.name) for e in agent}
            missing = [w for w in want if w not in have]
            # Escaped, so the NFC and NFD spellings of one name can be told apart in the report.
            non_ascii = {"expected": len(want), "found": len(want) - len(missing),
                         "missing": [m.encode("ascii", "backslashreplace").decode() for m in missing[:5]],
                         "in_layer": sum(1 for e in agent if not norm(e.name).isascii())}
        print(json.dumps({
            "arch": arch, "layers": len(layers),
            "app_layers_kept": [l["digest"] for l in layers[:-1]] == [l["digest"] for l in source[arch]["layers"]],
            "entrypoint": config.get("config", {}).get("Entrypoint"),
            "top_layer": {
                "mediaType": top["mediaType"], "size": top["size"],
                "entries": len(agent),
                "outside_install_dir": len(all_entries) - len(agent),
                "file_bytes": sum(e.size for e in agent if e.isreg()),
                # a=rX: directories and executables 0555, other files 0444.
                "not_a_rX": sum(1 for e in agent if (e.isdir() or e.isreg()) and e.mode & 0o7777 not in (0o444, 0o555)),
                "absolute_symlinks_not_rerooted": sum(1 for e in agent if e.issym() and e.linkname.startswith("/")
                                                      and not e.linkname.startswith("/" + INSTALL)),
                "tar_ends_early": truncated},
            "non_ascii": non_ascii}, ensure_ascii=False))


if __name__ == "__main__":
    main()
