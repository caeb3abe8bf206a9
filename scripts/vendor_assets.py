"""Vendor the front-end libraries from npm, so no page (and no test) needs a CDN or Node.

    python -m scripts.vendor_assets                    # (re)write every pinned library
    python -m scripts.vendor_assets --check            # verify the committed files
    python -m scripts.vendor_assets --only chart.js --version 4.6.1   # pin another version

Chart.js draws the charts (static/vendor/chartjs/); axe-core checks accessibility in the
browser tests (tests/browser/vendor/axe-core/). Downloading uses `npm pack` (npm checks the
tarball against the registry's integrity hash); only the browser build and the licence are
copied out of the tarball. Each VERSION file records the version and the sha256 of the script,
so a changed file is noticed (`--check`, and a test).
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Asset:
    package: str  # its npm name
    version: str  # pinned
    directory: Path
    script: str
    members: dict[str, str]  # what we name a file: where it sits in the npm tarball
    major: str  # the code is written for this major version

    def version_text(self, digest: str) -> str:
        return f"{self.package} {self.version}\nsha256 {digest}  {self.script}\n"


CHARTJS_VERSION = "4.6.1"
VENDOR_DIR = ROOT / "static" / "vendor" / "chartjs"
SCRIPT = "chart.umd.min.js"
CHARTJS = Asset(
    "chart.js", CHARTJS_VERSION, VENDOR_DIR, SCRIPT,
    {SCRIPT: f"package/dist/{SCRIPT}", "LICENSE.md": "package/LICENSE.md"}, "4.",
)  # fmt: skip
AXE = Asset(
    "axe-core", "4.14.1", ROOT / "tests" / "browser" / "vendor" / "axe-core", "axe.min.js",
    {"axe.min.js": "package/axe.min.js", "LICENSE": "package/LICENSE"}, "4.",
)  # fmt: skip
ASSETS = {asset.package: asset for asset in (CHARTJS, AXE)}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_version_file(directory: Path = VENDOR_DIR) -> tuple[str, str]:
    """(version, sha256) recorded in the VERSION file."""
    lines = (directory / "VERSION").read_text(encoding="utf-8").splitlines()
    version = lines[0].split()[-1].strip()
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


def extract(tarball: Path, into: Path, members: dict[str, str]) -> None:
    """Copy the wanted members out of the tarball (by name: nothing else is unpacked)."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        for target, member in members.items():
            source = archive.extractfile(member)
            if source is None:
                raise SystemExit(f"{member} is missing from {tarball.name}.")
            (into / target).write_bytes(source.read())


def vendor(asset: Asset) -> str:
    """Download the asset's pinned version and write it with its licence and VERSION."""
    if not asset.version.startswith(asset.major):
        raise SystemExit(f"The code is written for {asset.package} {asset.major}x.")
    with tempfile.TemporaryDirectory() as tmp:
        tarball = npm_pack(f"{asset.package}@{asset.version}", Path(tmp))
        extract(tarball, asset.directory, asset.members)
    digest = sha256_of(asset.directory / asset.script)
    (asset.directory / "VERSION").write_text(asset.version_text(digest), encoding="utf-8")
    return digest


def check(directory: Path = VENDOR_DIR, script: str = SCRIPT) -> bool:
    """Whether the vendored script is the one VERSION records."""
    _version, digest = read_version_file(directory)
    return sha256_of(directory / script) == digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(ASSETS), help="one library, not all")
    parser.add_argument("--version", help="another version of --only's library")
    parser.add_argument("--check", action="store_true", help="verify, download nothing")
    args = parser.parse_args(argv)
    if args.version and not args.only:
        parser.error("--version goes with --only")
    assets = [ASSETS[args.only]] if args.only else list(ASSETS.values())
    if args.version:
        (asset,) = assets
        assets = [Asset(**{**asset.__dict__, "version": args.version})]
    status = 0
    for asset in assets:
        if args.check:
            version, digest = read_version_file(asset.directory)
            if not check(asset.directory, asset.script):
                print(f"{asset.script} does not match VERSION ({asset.package} {version}).",
                      file=sys.stderr)  # fmt: skip
                status = 1
            else:
                print(f"{asset.package} {version} OK (sha256 {digest})")
            continue
        digest = vendor(asset)
        print(f"{asset.package} {asset.version} written to {asset.directory} (sha256 {digest})")
    return status


if __name__ == "__main__":
    sys.exit(main())
