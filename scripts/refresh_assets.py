#!/usr/bin/env python3
"""Fetch the pinned front-end assets from npm and vendor them into the package.

Pilothouse never loads anything from a CDN: the few third-party JavaScript and CSS
files the web UI needs are copied into ``src/pilothouse/web/static/vendor/`` from
exact npm versions, together with each package's licence file and a
``manifest.json`` recording versions and hashes.

Usage::

    python scripts/refresh_assets.py           # download the pins below, rewrite vendor/
    python scripts/refresh_assets.py --check   # offline: verify vendor/ against manifest.json

Refreshing needs ``npm`` on PATH and access to the npm registry; ``--check`` needs
neither.  To bump a package: change its ``version`` below, set its ``integrity``
to ``None``, run the script, review the diff, then paste the integrity it prints
into the table so later runs are verified against it.

Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Pin:
    package: str  # npm package name
    version: str  # exact version, never a range
    file: str  # path of the asset inside the npm package
    dest: str  # file name in vendor/
    license_dest: str  # file name of the copied licence in vendor/
    integrity: str | None  # npm tarball integrity (SRI sha512); None only while bumping


# The pinned versions. Look candidates up with `npm view NAME@MAJOR version`.
PINS: tuple[Pin, ...] = (
    Pin(
        package="htmx.org",
        version="2.0.11",
        file="dist/htmx.min.js",
        dest="htmx.min.js",
        license_dest="htmx.LICENSE",
        integrity=(
            "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4"
            "qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
        ),
    ),
    Pin(
        package="chart.js",
        version="4.6.1",
        file="dist/chart.umd.min.js",
        dest="chart.umd.min.js",
        license_dest="chart.LICENSE",
        integrity=(
            "sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqA"
            "rixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
        ),
    ),
    Pin(
        package="@picocss/pico",
        version="2.1.1",
        file="css/pico.min.css",
        dest="pico.min.css",
        license_dest="pico.LICENSE",
        integrity=(
            "sha512-kIDugA7Ps4U+2BHxiNHmvgPIQDWPDU4IeU6TNRdvXQM1uZX+FibqD"
            "QT2xUOnnO2yq/LUHcwnGlu1hvf4KfXnMg=="
        ),
    ),
    # Swagger UI for the interactive API docs page (/api/v1/docs) only.
    Pin(
        package="swagger-ui-dist",
        version="5.35.0",
        file="swagger-ui-bundle.js",
        dest="swagger-ui-bundle.js",
        license_dest="swagger-ui.LICENSE",
        integrity=(
            "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXd"
            "GarTNNHC3sU8yVUQ=="
        ),
    ),
    Pin(
        package="swagger-ui-dist",
        version="5.35.0",
        file="swagger-ui.css",
        dest="swagger-ui.css",
        license_dest="swagger-ui.LICENSE",
        integrity=(
            "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXd"
            "GarTNNHC3sU8yVUQ=="
        ),
    ),
)

REPO_ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = REPO_ROOT / "src" / "pilothouse" / "web" / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
# Files in vendor/ that are not produced from the pins.
UNMANAGED = frozenset({MANIFEST_NAME, "README.md"})
MANIFEST_KEYS = (
    "package",
    "version",
    "file",
    "dest",
    "sha256",
    "license",
    "integrity",
    "license_file",
    "license_sha256",
)
LICENSE_NAME = re.compile(r"^(?:LICEN[CS]E|COPYING)(?:[.-](?:md|txt|markdown))?$", re.IGNORECASE)
SAFE_DEST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RefreshError(Exception):
    pass


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def npm_pack(pin: Pin, workdir: Path) -> tuple[Path, str]:
    """Download ``package@version`` with ``npm pack``; return (tarball, integrity)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RefreshError("npm is not on PATH; it is needed to refresh (not for --check)")
    spec = f"{pin.package}@{pin.version}"
    cmd = [npm, "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(workdir)]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RefreshError(f"`npm pack {spec}` failed ({proc.returncode}):\n{proc.stderr.strip()}")
    try:
        (info,) = json.loads(proc.stdout)
    except ValueError as exc:
        raise RefreshError(f"unexpected `npm pack --json` output for {spec}: {exc}") from exc
    if info.get("name") != pin.package or info.get("version") != pin.version:
        got = f"{info.get('name')}@{info.get('version')}"
        raise RefreshError(f"npm pack {spec} returned {got}")
    tarball = workdir / info["filename"]
    integrity = sri_sha512(tarball.read_bytes())
    if info.get("integrity") != integrity:
        raise RefreshError(f"{spec}: tarball sha512 {integrity} != npm's {info.get('integrity')}")
    if pin.integrity is not None and pin.integrity != integrity:
        raise RefreshError(
            f"{spec}: tarball integrity {integrity} does not match the pinned {pin.integrity}"
        )
    return tarball, integrity


def _regular_file(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if not member.isfile():
        raise RefreshError(f"{member.name} is not a regular file")
    handle = tar.extractfile(member)
    if handle is None:
        raise RefreshError(f"cannot read {member.name}")
    with handle:
        return handle.read()


def read_package(tarball: Path, pin: Pin) -> tuple[bytes, bytes, str]:
    """Return (asset bytes, licence file bytes, SPDX licence) from an npm tarball.

    Members are read in memory by name; nothing from the archive is extracted to disk.
    """
    with tarfile.open(tarball, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        roots = {PurePosixPath(name).parts[0] for name in members}
        if len(roots) != 1:
            raise RefreshError(f"{tarball.name}: expected one top-level folder, got {roots}")
        (root,) = roots
        asset_name = f"{root}/{pin.file}"
        if asset_name not in members:
            raise RefreshError(f"{pin.package}@{pin.version} has no {pin.file}")
        asset = _regular_file(tar, members[asset_name])

        licence_names = sorted(
            name
            for name in members
            if PurePosixPath(name).parent == PurePosixPath(root)
            and LICENSE_NAME.match(PurePosixPath(name).name)
        )
        if not licence_names:
            raise RefreshError(f"{pin.package}@{pin.version} ships no LICENSE file")
        licence_text = _regular_file(tar, members[licence_names[0]])

        package_json = json.loads(_regular_file(tar, members[f"{root}/package.json"]))
    spdx = package_json.get("license")
    if isinstance(spdx, dict):  # old-style {"type": "MIT", "url": ...}
        spdx = spdx.get("type")
    if not isinstance(spdx, str) or not spdx:
        raise RefreshError(f"{pin.package}@{pin.version}: package.json has no licence")
    return asset, licence_text, spdx


def refresh(vendor_dir: Path) -> int:
    for pin in PINS:
        for name in (pin.dest, pin.license_dest):
            if not SAFE_DEST.match(name) or name in UNMANAGED:
                raise RefreshError(f"bad destination file name {name!r} for {pin.package}")
    vendor_dir.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="pilothouse-assets-") as tmp:
        for pin in PINS:
            print(f"fetching {pin.package}@{pin.version} ...")
            tarball, integrity = npm_pack(pin, Path(tmp))
            asset, licence_text, spdx = read_package(tarball, pin)
            (vendor_dir / pin.dest).write_bytes(asset)
            (vendor_dir / pin.license_dest).write_bytes(licence_text)
            entries.append(
                {
                    "package": pin.package,
                    "version": pin.version,
                    "file": pin.file,
                    "dest": pin.dest,
                    "sha256": sha256_hex(asset),
                    "license": spdx,
                    "integrity": integrity,
                    "license_file": pin.license_dest,
                    "license_sha256": sha256_hex(licence_text),
                }
            )
            if pin.integrity is None:
                print(f"  NOTE: pin this integrity in PINS: {integrity}")
            print(f"  {pin.dest}  sha256={entries[-1]['sha256']}")

    manifest = json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    (vendor_dir / MANIFEST_NAME).write_text(manifest, encoding="utf-8", newline="\n")

    wanted = {e["dest"] for e in entries} | {e["license_file"] for e in entries} | UNMANAGED
    for path in sorted(vendor_dir.iterdir()):
        if path.is_file() and path.name not in wanted:
            print(f"removing stale {path.name}")
            path.unlink()

    problems = check(vendor_dir)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if not problems:
        print(f"wrote {len(entries)} assets and {MANIFEST_NAME} to {vendor_dir}")
    return 1 if problems else 0


def check(vendor_dir: Path) -> list[str]:
    """Verify vendor/ against its manifest and the pins, offline. Return the problems."""
    manifest_path = vendor_dir / MANIFEST_NAME
    try:
        entries = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"cannot read {manifest_path}: {exc}"]
    if not isinstance(entries, list):
        return [f"{manifest_path} must hold a JSON list"]

    problems: list[str] = []
    listed: set[str] = set()
    for index, entry in enumerate(entries):
        missing = [key for key in MANIFEST_KEYS if not isinstance(entry.get(key), str)]
        if missing:
            problems.append(f"manifest entry {index} lacks {', '.join(missing)}")
            continue
        for name_key, hash_key in (("dest", "sha256"), ("license_file", "license_sha256")):
            name = entry[name_key]
            listed.add(name)
            path = vendor_dir / name
            if not SAFE_DEST.match(name) or not path.is_file():
                problems.append(f"{name}: listed in the manifest but missing")
            elif sha256_hex(path.read_bytes()) != entry[hash_key]:
                problems.append(f"{name}: sha256 does not match the manifest")

    recorded = {
        (e.get("package"), e.get("version"), e.get("file"), e.get("dest"), e.get("integrity"))
        for e in entries
        if isinstance(e, dict)
    }
    # A pin whose integrity is still None is matched on the other fields only.
    recorded_loose = {r[:4] for r in recorded}
    for pin in PINS:
        key = (pin.package, pin.version, pin.file, pin.dest, pin.integrity)
        if key not in recorded and not (pin.integrity is None and key[:4] in recorded_loose):
            problems.append(
                f"{pin.package}@{pin.version} ({pin.dest}) is pinned but the manifest differs;"
                " re-run scripts/refresh_assets.py"
            )
    if len(entries) != len(PINS):
        problems.append(f"manifest lists {len(entries)} assets but {len(PINS)} are pinned")

    if vendor_dir.is_dir():
        for path in sorted(vendor_dir.iterdir()):
            if path.name not in listed and path.name not in UNMANAGED:
                problems.append(f"{path.name}: in vendor/ but not in the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify vendor/ against manifest.json and the pins, without network",
    )
    parser.add_argument(
        "--vendor-dir",
        type=Path,
        default=VENDOR_DIR,
        help=f"target folder (default: {VENDOR_DIR.relative_to(REPO_ROOT)})",
    )
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.vendor_dir)
        for problem in problems:
            print(f"ERROR: {problem}", file=sys.stderr)
        if not problems:
            print(f"vendor/ matches {MANIFEST_NAME} ({len(PINS)} assets)")
        return 1 if problems else 0
    try:
        return refresh(args.vendor_dir)
    except RefreshError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
