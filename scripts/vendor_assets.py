"""Vendor the front-end libraries served from static/vendor/, so no page needs a CDN or Node.

    python -m scripts.vendor_assets            # (re)write the pinned Chart.js
    python -m scripts.vendor_assets --check    # verify the committed files against VERSION
    python -m scripts.vendor_assets --version 4.6.1   # pin another 4.x version

Downloading uses `npm pack` (npm checks the tarball against the registry's integrity hash);
only the browser build and the licence are copied out of the tarball. The VERSION file records
the version and the sha256 of the script, so a changed file is noticed (`--check`, and a test).
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CHARTJS_VERSION = "4.6.1"
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "chartjs"
SCRIPT = "chart.umd.min.js"
# Where the browser build and the licence sit in the npm tarball, by what we name them.
MEMBERS = {SCRIPT: f"package/dist/{SCRIPT}", "LICENSE.md": "package/LICENSE.md"}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_text(version: str, digest: str) -> str:
    return f"chart.js {version}\nsha256 {digest}  {SCRIPT}\n"


def read_version_file(directory: Path = VENDOR_DIR) -> tuple[str, str]:
    """(version, sha256) recorded in the VERSION file."""
    lines = (directory / "VERSION").read_text(encoding="utf-8").splitlines()
    version = lines[0].removeprefix("chart.js ").strip()
    digest = lines[1].split()[1]
    return version, digest


def npm_pack(spec: str, into: Path) -> Path:
    """Download the package tarball from the npm registry into a directory; its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to download the package (install Node.js).")
    result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [npm, "pack", spec, "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    filename = json.loads(result.stdout)[0]["filename"]
    return into / filename


def extract(tarball: Path, into: Path) -> None:
    """Copy the wanted members out of the tarball (by name: nothing else is unpacked)."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        for target, member in MEMBERS.items():
            source = archive.extractfile(member)
            if source is None:
                raise SystemExit(f"{member} is missing from {tarball.name}.")
            (into / target).write_bytes(source.read())


def vendor(version: str, directory: Path = VENDOR_DIR) -> str:
    """Download Chart.js `version` and write it with its licence and VERSION; the sha256."""
    if not version.startswith("4."):
        raise SystemExit("The chart code is written for Chart.js 4.x.")
    with tempfile.TemporaryDirectory() as tmp:
        tarball = npm_pack(f"chart.js@{version}", Path(tmp))
        extract(tarball, directory)
    digest = sha256_of(directory / SCRIPT)
    (directory / "VERSION").write_text(version_text(version, digest), encoding="utf-8")
    return digest


def check(directory: Path = VENDOR_DIR) -> bool:
    """Whether the vendored script is the one VERSION records."""
    _version, digest = read_version_file(directory)
    return sha256_of(directory / SCRIPT) == digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=CHARTJS_VERSION, help="Chart.js version (4.x)")
    parser.add_argument("--check", action="store_true", help="verify, download nothing")
    args = parser.parse_args(argv)
    if args.check:
        version, digest = read_version_file()
        if not check():
            print(f"{SCRIPT} does not match VERSION (chart.js {version}).", file=sys.stderr)
            return 1
        print(f"chart.js {version} OK (sha256 {digest})")
        return 0
    digest = vendor(args.version)
    print(f"chart.js {args.version} written to {VENDOR_DIR} (sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
