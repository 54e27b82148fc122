#!/usr/bin/env python3
"""Generate the benchmark's input images (deterministically) into OUTDIR.

Usage: gen-images.py OUTDIR          (writes OUTDIR/app and OUTDIR/agent, OCI layouts)

  app:1    index of linux/amd64 + linux/arm64; per platform 3 gzip layers of
           ~50 MB compressed each (~150 MB), Entrypoint ["/app/run"], Cmd ["x"].
  agent:7  index of linux/amd64 + linux/arm64; per platform ~200 MB uncompressed
           in 3 gzip layers (usr/ + etc/, then bin/ + lib64/ + entrypoint-ecs.sh,
           then a small fix-up layer), with whiteouts and an opaque directory in
           the later layers, hard links, relative and absolute symlinks, and
           private modes (0700) so a=rX has something to do, and non-ASCII names
           (files, a directory, symlink names and targets, a hard link, a whiteout).
           OUTDIR/agent-non-ascii-ARCH.txt lists the non-ASCII paths the patched
           image must hold under the install dir (check-output.py counts them).

Content is "realistic-ish": real files from this machine's /usr/lib and /usr/share
(ELF, text, already-compressed docs) mixed with seeded random data, so gzip does
real work and the ratio is moderate. Everything is a function of the seeds and
of the host files, so two runs on one machine give identical digests: tar entries
have fixed metadata, gzip has mtime=0 and no name, JSON is written in a fixed order.
"""

from __future__ import annotations

import concurrent.futures
import functools
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile
from pathlib import Path

# Part of the cache key (scripts/bench hashes this file): 2 = non-ASCII names in the agent.
INPUTS_VERSION = 2
EPOCH = 1700000000
CREATED = "2023-11-14T22:13:20Z"
MB = 1024 * 1024
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
PLATFORMS = ["amd64", "arm64"]

# Per app layer: stop adding entries once this much gzip output has been produced,
# so the compressed size lands near the target whatever the host files' ratio is.
APP_LAYER_COMPRESSED = 50 * MB
APP_RANDOM_SHARE = 0.30            # share of the bytes that are incompressible random blobs
# Agent layers are sized by uncompressed bytes (the brief asks for ~200 MB uncompressed).
AGENT_LAYER_RAW = [118 * MB, 78 * MB, 4 * MB]
# The agent's explicit non-ASCII names live here (a directory no host pool file maps to).
I18N = "usr/share/falcon-i18n"
CA_NAME = "NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt"
CA_BYTES = b"-----BEGIN CERTIFICATE-----\n" + bytes(range(65, 91)) * 64 + b"\n-----END CERTIFICATE-----\n"
INSTALL = "opt/CrowdStrike/rootfs"
INCLUDE = ("bin", "etc", "lib", "lib64", "usr", "entrypoint-ecs.sh")   # the falcon preset's default


def dumps(value) -> bytes:
    """Compact JSON, keys in insertion order."""
    return json.dumps(value, separators=(",", ":")).encode()


class HashingWriter:
    """A write-only file object that hashes and counts what passes through it."""

    def __init__(self, inner) -> None:
        self.inner, self.sha, self.size = inner, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.inner.write(data)

    def flush(self) -> None:
        self.inner.flush()


@functools.lru_cache(maxsize=None)
def host_pool(root: str) -> tuple[str, ...]:
    """Regular files under root, 512 B - 8 MB, sorted: the pool real content is drawn from.
    Non-ASCII names stay in (e.g. /usr/share/ca-certificates/mozilla/
    NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt), in the agent's layers too."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if os.path.isfile(path) and not os.path.islink(path) and 512 <= st.st_size <= 8 * MB \
                    and os.access(path, os.R_OK):
                out.append(path)
    return tuple(out)


class LayerWriter:
    """Streams one tar layer into a gzip blob in a single pass, computing diff_id
    (sha256 of the tar), the blob digest and the sizes as it goes."""

    def __init__(self, blobs: Path, tag: str) -> None:
        self.blobs = blobs
        self.tmp = blobs / f".tmp-{tag}"
        self.out = open(self.tmp, "wb")
        self.compressed = HashingWriter(self.out)
        self.gz = gzip.GzipFile(fileobj=self.compressed, mode="wb", compresslevel=6, mtime=0)
        self.raw = HashingWriter(self.gz)
        self.tar = tarfile.open(fileobj=self.raw, mode="w|", format=tarfile.PAX_FORMAT)
        self.dirs: set[str] = set()
        self.names: list[str] = []        # every entry, in order (for the expected-names lists)

    def _add(self, info: tarfile.TarInfo, data=None) -> None:
        self.names.append(info.name)
        self.tar.addfile(info, data)

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = kind, mode, EPOCH
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def _parents(self, name: str) -> None:
        # Emit each parent directory once, before its first child, as real layers do.
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self._add(self._info(d, tarfile.DIRTYPE, 0o755))

    def dir(self, name: str, mode: int = 0o755) -> None:
        """A directory with its own mode: call before anything inside it (one entry per path:
        Docker's and buildah's layer appliers refuse duplicate paths within a layer)."""
        self._parents(name)
        if name in self.dirs:
            raise ValueError(f"{name} already written")
        self.dirs.add(name)
        self._add(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._parents(name)
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self._add(info, io.BytesIO(data))

    def host_file(self, name: str, path: str, mode: int = 0o644) -> int:
        with open(path, "rb") as f:
            data = f.read()
        self.file(name, data, mode)
        return len(data)

    def symlink(self, name: str, target: str) -> None:
        self._parents(name)
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._add(info)

    def hardlink(self, name: str, target: str, mode: int = 0o644) -> None:
        self._parents(name)
        info = self._info(name, tarfile.LNKTYPE, mode)
        info.linkname = target
        self._add(info)

    def close(self) -> dict:
        self.tar.close()
        self.gz.close()
        self.out.close()
        digest = self.compressed.sha.hexdigest()
        os.replace(self.tmp, self.blobs / digest)
        return {"digest": "sha256:" + digest, "size": self.compressed.size,
                "diff_id": "sha256:" + self.raw.sha.hexdigest(), "raw_size": self.raw.size,
                "names": self.names}


def random_blob(rng: random.Random, lo: int, hi: int) -> bytes:
    return rng.randbytes(rng.randint(lo, hi))


def app_layer(blobs: str, arch: str, index: int) -> dict:
    """An application base layer: host files at their own paths plus random data blobs,
    until ~APP_LAYER_COMPRESSED of gzip output has been written."""
    rng = random.Random(f"app/{arch}/{index}")
    w = LayerWriter(Path(blobs), f"app-{arch}-{index}")
    if index == 0:
        w.file("etc/os-release", b'PRETTY_NAME="bench base"\nID=bench\n')
        w.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    if index == 2:
        w.file("app/run", b"#!/bin/sh\nexec /app/server \"$@\"\n", 0o755)
    pool = host_pool("/usr/share") if index == 0 else host_pool("/usr/lib")
    used: set[str] = set()
    n = random_bytes = 0
    while w.compressed.size < APP_LAYER_COMPRESSED:
        # Keep random data at APP_RANDOM_SHARE of the bytes (not of the entries: blobs are bigger).
        if random_bytes < APP_RANDOM_SHARE * w.raw.size:
            blob = random_blob(rng, 16 * 1024, 1 * MB)
            random_bytes += len(blob)
            w.file(f"srv/data/l{index}/blob-{n:05d}.bin", blob)
        else:
            path = rng.choice(pool)
            if path in used:
                continue
            used.add(path)
            w.host_file(path.lstrip("/"), path)
        n += 1
    return w.close()


def agent_layer(blobs: str, arch: str, index: int) -> dict:
    """One of the agent's three layers; see the module docstring."""
    rng = random.Random(f"agent/{arch}/{index}")
    w = LayerWriter(Path(blobs), f"agent-{arch}-{index}")
    loader = {"amd64": "ld-linux-x86-64.so.2", "arm64": "ld-linux-aarch64.so.1"}[arch]
    budget = AGENT_LAYER_RAW[index]
    used: set[str] = set()

    def fill(prefix_random: str, pool: tuple[str, ...], rename, share: float) -> None:
        n = random_bytes = 0
        while w.raw.size < budget:
            if random_bytes < share * w.raw.size:           # share of bytes, as for the app
                blob = random_blob(rng, 64 * 1024, 1 * MB)
                random_bytes += len(blob)
                w.file(f"{prefix_random}/data-{n:05d}.bin", blob)
            else:
                path = rng.choice(pool)
                if path in used:
                    continue
                used.add(path)
                w.host_file(rename(path), path)
            n += 1

    if index == 0:
        w.file("etc/falcon/falcon.conf", b"[falcon]\nlog=info\n", 0o600)
        w.file("etc/falcon/ca.pem", rng.randbytes(4096), 0o600)
        w.file("var/log/falcon/.keep", b"")                      # outside the include list
        w.file("usr/share/doc/obsolete/README", b"removed by layer 2\n")
        w.file("usr/lib/falcon-old/old.so", rng.randbytes(200_000))
        w.dir("usr/lib/falcon", 0o700)
        # Non-ASCII names, as real agents have (CA bundles): 2-, 3- and 4-byte UTF-8, the same
        # visible name in NFC and NFD (two entries), a name only a pax header can hold, a
        # private directory, and a file that layer 1 whites out.
        w.dir(f"{I18N}/données", 0o700)
        w.file(f"{I18N}/données/{CA_NAME}", CA_BYTES, 0o600)
        w.file(f"{I18N}/données/日本語/ファイル.txt", "日本語のテキスト\n".encode())
        w.file(f"{I18N}/données/falcon-🦅.bin", rng.randbytes(3000))
        w.file(f"{I18N}/données/caf\u00e9", b"NFC\n")
        w.file(f"{I18N}/données/cafe\u0301", b"NFD\n")
        w.file(f"{I18N}/données/{'ű' * 60}.txt", b"a 124-byte name\n")
        w.file(f"{I18N}/données/obsolète.txt", b"removed by layer 1\n")
        w.file("etc/falcon/règles.conf", b"[r\xc3\xa8gles]\n", 0o600)
        fill("usr/lib/falcon", host_pool("/usr/share"), lambda p: p.lstrip("/"), 0.25)
    elif index == 1:
        w.dir("bin", 0o750)
        w.file("bin/falcon-sensor", rng.randbytes(6 * MB), 0o700)
        w.hardlink("bin/falconctl", "bin/falcon-sensor", 0o700)
        w.file("bin/old-tool", rng.randbytes(100_000), 0o755)
        w.host_file("bin/bash", "/bin/bash", 0o755)
        w.symlink("bin/sh", "bash")
        w.symlink("bin/falcond", "/bin/falcon-sensor")           # absolute: imagepatch re-roots it
        w.file(f"lib64/{loader}", rng.randbytes(240_000), 0o755)
        w.file("lib64/libfalcon.so.1", rng.randbytes(3 * MB), 0o755)
        w.symlink("lib64/libfalcon.so", "libfalcon.so.1")
        w.file("entrypoint-ecs.sh", b"#!/bin/bash\nexec /opt/CrowdStrike/rootfs/bin/falcon-sensor \"$@\"\n", 0o700)
        w.file("usr/share/doc/.wh.obsolete", b"")               # whiteout of a layer-0 directory
        w.file(f"{I18N}/données/.wh.obsolète.txt", b"")          # whiteout of a non-ASCII name
        w.symlink(f"{I18N}/lien-é", f"données/{CA_NAME}")        # non-ASCII name and target
        w.symlink("bin/fålcon", f"/{I18N}/données/{CA_NAME}")    # absolute: re-rooted
        w.file("lib64/libfalcon-ü.so", rng.randbytes(50_000), 0o755)
        w.hardlink("lib64/libfalcon-ü.so.1", "lib64/libfalcon-ü.so", 0o755)
        fill("lib64/falcon", host_pool("/usr/lib"),
             lambda p: "lib64/" + p.replace("/", "_").lstrip("_"), 0.25)
    else:
        w.file("usr/lib/falcon-old/.wh..wh..opq", b"")           # opaque: hides old.so
        w.file("usr/lib/falcon-old/new.so", rng.randbytes(100_000))
        w.file("bin/.wh.old-tool", b"")                          # whiteout of a layer-1 file
        w.file("etc/falcon/falcon.conf", b"[falcon]\nlog=warn\n", 0o600)
        w.file("etc/falcon/règles.conf", b"[r\xc3\xa8gles]\nv=2\n", 0o600)  # replaces layer 0's
        fill("usr/lib/falcon/update", host_pool("/usr/lib"), lambda p: "usr/lib/falcon/update" + p, 0.25)
    return w.close()


class Layout:
    """An OCI image layout directory with one tag pointing at a two-platform index."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_bytes(dumps({"imageLayoutVersion": "1.0.0"}))

    def blob(self, data: bytes, media_type: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (self.blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def image(self, arch: str, layers: list[dict], config: dict, created_by: str) -> dict:
        cfg = {"created": CREATED, "architecture": arch, "os": "linux", "config": config,
               "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
               "history": [{"created": CREATED, "created_by": f"{created_by} layer {i}"}
                           for i in range(len(layers))]}
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": self.blob(dumps(cfg), OCI_CONFIG),
                    "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": l["digest"], "size": l["size"]}
                               for l in layers]}
        desc = self.blob(dumps(manifest), OCI_MANIFEST)
        desc["platform"] = {"architecture": arch, "os": "linux"}
        return desc

    def tag_index(self, tag: str, manifests: list[dict]) -> None:
        index = self.blob(dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
                          OCI_INDEX)
        index["annotations"] = {REF_NAME: tag}
        (self.root / "index.json").write_bytes(
            dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [index]}))


def main() -> None:
    out = Path(sys.argv[1])
    app, agent = Layout(out / "app"), Layout(out / "agent")
    jobs = [(app_layer, str(app.blobs), a, i) for a in PLATFORMS for i in range(3)] + \
           [(agent_layer, str(agent.blobs), a, i) for a in PLATFORMS for i in range(3)]
    # Layers are independent: build them on every core (gzip in Python is the slow part).
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        results = list(pool.map(lambda_job, jobs))
    layers = {(j[0].__name__, j[2], j[3]): r for j, r in zip(jobs, results)}
    # A summary for the report (and for whoever wonders what the inputs are).
    with open(out / "layers.txt", "w") as summary:
        for (kind, arch, i), r in sorted(layers.items()):
            summary.write(f"{kind.split('_')[0]:5} linux/{arch} layer {i}: {r['raw_size'] / MB:6.1f} MiB tar"
                          f" -> {r['size'] / MB:5.1f} MiB gzip\n")

    # What the patched image must hold with a non-ASCII name (under the install dir).
    for a in PLATFORMS:
        tree = union_names([layers[("agent_layer", a, i)]["names"] for i in range(3)])
        kept = sorted(f"{INSTALL}/{p}" for p in tree if p.split("/")[0] in INCLUDE and not p.isascii())
        (out / f"agent-non-ascii-{a}.txt").write_text("".join(p + "\n" for p in kept))

    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    app.tag_index("1", [app.image(a, [layers[("app_layer", a, i)] for i in range(3)],
                                  {"Env": env, "Entrypoint": ["/app/run"], "Cmd": ["x"],
                                   "WorkingDir": "/"}, "app")
                        for a in PLATFORMS])
    agent.tag_index("7", [agent.image(a, [layers[("agent_layer", a, i)] for i in range(3)],
                                      {"Env": env, "Entrypoint": ["/bin/falcon-sensor"]}, "agent")
                          for a in PLATFORMS])


def union_names(layers: list[list[str]]) -> set[str]:
    """The paths a stack of layers leaves (whiteouts and opaque directories applied)."""
    tree: set[str] = set()
    for names in layers:
        names = [n.rstrip("/") for n in names]
        for n in names:
            d, _, base = n.rpartition("/")
            if base == ".wh..wh..opq":
                tree = {p for p in tree if not p.startswith(d + "/")}
            elif base.startswith(".wh."):
                gone = (d + "/" if d else "") + base[4:]
                tree = {p for p in tree if p != gone and not p.startswith(gone + "/")}
        tree |= {n for n in names if not n.rpartition("/")[2].startswith(".wh.")}
    return tree


def lambda_job(job):
    fn, *args = job
    return fn(*args)


if __name__ == "__main__":
    main()
