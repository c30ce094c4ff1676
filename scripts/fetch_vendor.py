"""Fetch pinned front-end libraries from the npm registry into static/vendor/.

    python scripts/fetch_vendor.py

Why this exists: the site serves a few npm libraries (the lightweight-charts standalone build) as
plain static files. Node and npm are not needed on the machine: the package tarball is downloaded
straight from registry.npmjs.org, checked against the `integrity` recorded in static/vendor.json
(the registry's own `dist.integrity`, Subresource-Integrity format "sha512-<base64 digest>"), and
only the files listed there are extracted. The extracted files are not committed (static/vendor/
is git-ignored); the pin in static/vendor.json is.

A download happens only when a target file is missing, or the stamp file static/vendor/.stamp.json
does not record this package@version with this integrity, or a file's digest no longer matches
the one recorded when it was extracted. Set VENDOR_OFFLINE_OK=1 to turn a download failure into a
warning when the files are already present. An integrity mismatch is always an error.

Only the standard library is used, so this runs before any virtualenv or Django setup.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PIN_FILE = ROOT / "static" / "vendor.json"
VENDOR_DIR = ROOT / "static" / "vendor"
STAMP_FILE = VENDOR_DIR / ".stamp.json"
LABEL = "static/vendor"

TIMEOUT_S = 30
RETRIES = 2  # retries after the first attempt
MAX_TARBALL_BYTES = 50 * 1024 * 1024
UA = "insightstock-fetch-vendor"


class VendorError(Exception):
    """A problem that stops the script with exit status 1."""


class DownloadError(VendorError):
    """The tarball could not be downloaded (network, HTTP status): may be tolerated offline."""


def sha256_file(path: Path) -> str:
    """Return "sha256-<base64>" of a file, the digest recorded in the stamp file."""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def expected_sha512(integrity: str) -> bytes:
    """Decode the sha512 digest from an SRI string such as "sha512-<base64>"."""
    for token in integrity.split():
        algo, _, b64 = token.partition("-")
        if algo == "sha512":
            try:
                digest = base64.b64decode(b64, validate=True)
            except ValueError as exc:
                raise VendorError(f"integrity {integrity!r} is not valid base64") from exc
            if len(digest) != hashlib.sha512().digest_size:
                raise VendorError(f"integrity {integrity!r} has the wrong digest length")
            return digest
    raise VendorError(f"integrity {integrity!r} has no sha512 entry (only sha512 is accepted)")


def load_packages() -> list[dict[str, Any]]:
    """Read and validate static/vendor.json."""
    try:
        data = json.loads(PIN_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VendorError(f"cannot read {PIN_FILE.relative_to(ROOT)}: {exc}") from exc
    packages = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(packages, list):
        raise VendorError(f"{PIN_FILE.relative_to(ROOT)}: expected {{'packages': [...]}}")
    for pkg in packages:
        if not isinstance(pkg, dict):
            raise VendorError(f"{PIN_FILE.relative_to(ROOT)}: each package must be an object")
        for key in ("name", "version", "tarball", "integrity", "files"):
            if key not in pkg:
                raise VendorError(f"{PIN_FILE.relative_to(ROOT)}: package entry lacks {key!r}")
        if not str(pkg["tarball"]).startswith("https://"):
            raise VendorError(f"{pkg['name']}: tarball URL must be https: {pkg['tarball']}")
        if not isinstance(pkg["files"], dict) or not pkg["files"]:
            raise VendorError(f"{pkg['name']}: 'files' must map tarball members to file names")
        for target in pkg["files"].values():
            # Targets are bare file names inside static/vendor/: no directories, no dot files.
            if not target or Path(target).name != target or target.startswith("."):
                raise VendorError(f"{pkg['name']}: bad target file name {target!r}")
        expected_sha512(pkg["integrity"])
    return packages


def load_stamp() -> dict[str, Any]:
    """Read the stamp file; an unreadable stamp just means "fetch again"."""
    try:
        stamp = json.loads(STAMP_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file via a temporary file in the same directory and os.replace()."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_up_to_date(pkg: dict[str, Any], stamp: dict[str, Any]) -> bool:
    """True when the stamp records this package@version and integrity and every file matches."""
    entry = stamp.get(f"{pkg['name']}@{pkg['version']}")
    if not isinstance(entry, dict) or entry.get("integrity") != pkg["integrity"]:
        return False
    recorded = entry.get("files")
    if not isinstance(recorded, dict):
        return False
    for target in pkg["files"].values():
        path = VENDOR_DIR / target
        if not path.is_file() or recorded.get(target) != sha256_file(path):
            return False
    return True


def download(url: str) -> bytes:
    """Download url with a timeout, retrying transient failures."""
    # S310: the URL comes from the committed pin and load_packages() accepts only https:// URLs.
    request = urllib.request.Request(url, headers={"User-Agent": UA})  # noqa: S310
    last_error: Exception | None = None
    for attempt in range(1 + RETRIES):
        if attempt:
            time.sleep(2 * attempt)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:  # noqa: S310 (as above)
                body = resp.read(MAX_TARBALL_BYTES + 1)
        except urllib.error.HTTPError as exc:
            last_error = exc
            if exc.code < 500:  # 404 and friends will not get better by retrying
                break
        except (urllib.error.URLError, OSError) as exc:
            last_error = exc
        else:
            if len(body) > MAX_TARBALL_BYTES:
                raise VendorError(f"{url}: larger than {MAX_TARBALL_BYTES} bytes, refusing")
            return body
    raise DownloadError(f"cannot download {url}: {last_error}")


def verify(pkg: dict[str, Any], body: bytes) -> None:
    """Refuse a tarball whose sha512 differs from the pinned integrity."""
    actual = hashlib.sha512(body).digest()
    if actual != expected_sha512(pkg["integrity"]):
        got = "sha512-" + base64.b64encode(actual).decode("ascii")
        raise VendorError(
            f"{pkg['name']} {pkg['version']}: integrity mismatch for {pkg['tarball']}\n"
            f"  expected {pkg['integrity']}\n  got      {got}\n"
            "Refusing to install it. If the pin in static/vendor.json was changed on purpose, "
            "take the integrity from the registry's dist.integrity for that version."
        )


def extract(pkg: dict[str, Any], body: bytes) -> dict[str, bytes]:
    """Read only the exact member names listed in 'files'; regular files only."""
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
            for member_name, target in pkg["files"].items():
                try:
                    member = tar.getmember(member_name)
                except KeyError:
                    raise VendorError(
                        f"{pkg['name']} {pkg['version']}: tarball has no member {member_name!r}"
                    ) from None
                if not member.isfile():
                    raise VendorError(f"{pkg['name']}: {member_name!r} is not a regular file")
                fh = tar.extractfile(member)
                if fh is None:
                    raise VendorError(f"{pkg['name']}: cannot read {member_name!r}")
                out[target] = fh.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise VendorError(f"{pkg['name']}: bad tarball: {exc}") from exc
    return out


def sync_package(pkg: dict[str, Any], stamp: dict[str, Any]) -> dict[str, Any]:
    """Bring one package's files up to date; return its new stamp entry."""
    key = f"{pkg['name']}@{pkg['version']}"
    if is_up_to_date(pkg, stamp):
        print(f"{LABEL}: {pkg['name']} {pkg['version']} up to date")
        return stamp[key]
    try:
        body = download(pkg["tarball"])
    except DownloadError as exc:
        present = all((VENDOR_DIR / t).is_file() for t in pkg["files"].values())
        if os.environ.get("VENDOR_OFFLINE_OK") == "1" and present:
            print(
                f"{LABEL}: warning: {exc}; keeping the existing files (VENDOR_OFFLINE_OK=1)",
                file=sys.stderr,
            )
            print(f"{LABEL}: {pkg['name']} {pkg['version']} unverified (offline), kept")
            # Keep whatever the stamp said before, so the next online run checks again.
            return stamp.get(key, {})
        raise
    verify(pkg, body)
    contents = extract(pkg, body)
    for target, data in contents.items():
        write_atomic(VENDOR_DIR / target, data)
    print(f"{LABEL}: {pkg['name']} {pkg['version']} ready")
    return {
        "integrity": pkg["integrity"],
        "files": {target: sha256_file(VENDOR_DIR / target) for target in contents},
    }


def main() -> int:
    """Sync every package in static/vendor.json; return the exit status."""
    try:
        packages = load_packages()
        old_stamp = load_stamp()
        new_stamp: dict[str, Any] = {}
        for pkg in packages:
            entry = sync_package(pkg, old_stamp)
            if entry:
                new_stamp[f"{pkg['name']}@{pkg['version']}"] = entry
        if new_stamp != old_stamp:
            text = json.dumps(new_stamp, indent=2, sort_keys=True) + "\n"
            write_atomic(STAMP_FILE, text.encode("utf-8"))
    except VendorError as exc:
        print(f"{LABEL}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
