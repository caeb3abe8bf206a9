"""Vendor the front-end libraries from npm, so no page (and no test) needs a CDN or Node.

    python -m scripts.vendor_assets                    # (re)write every pinned library
    python -m scripts.vendor_assets --check            # verify the committed files
    python -m scripts.vendor_assets --only chart.js --version 4.6.1   # pin another version

Chart.js draws the charts (static/vendor/chartjs/); Swagger UI shows the API reference at
/api/v1/docs (static/vendor/swagger-ui/); axe-core checks accessibility in the browser tests
(tests/browser/vendor/axe-core/). Downloading uses `npm pack` (npm checks the tarball against
the registry's integrity hash); only the browser build and the licence are copied out of the
tarball. Each VERSION file records the version and the sha256 of the script (and of any other
file the page loads, such as a stylesheet), so a changed file is noticed (`--check`, and a test).
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
    hashed: tuple[str, ...] = ()  # other files the pages load, checked like the script

    def version_text(self, digests: dict[str, str]) -> str:
        lines = [f"{self.package} {self.version}"]
        lines += [f"sha256 {digests[name]}  {name}" for name in (self.script, *self.hashed)]
        return "\n".join(lines) + "\n"


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
SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_UI_DIR = ROOT / "static" / "vendor" / "swagger-ui"
SWAGGER_UI = Asset(
    "swagger-ui-dist", SWAGGER_UI_VERSION, SWAGGER_UI_DIR, "swagger-ui-bundle.js",
    {
        "swagger-ui-bundle.js": "package/swagger-ui-bundle.js",
        "swagger-ui.css": "package/swagger-ui.css",
        "LICENSE": "package/LICENSE",
        "NOTICE": "package/NOTICE",  # Apache-2.0: the notice travels with the code
        "swagger-ui-bundle.js.LICENSE.txt": "package/swagger-ui-bundle.js.LICENSE.txt",
    },
    "5.", hashed=("swagger-ui.css",),
)  # fmt: skip
ASSETS = {asset.package: asset for asset in (CHARTJS, SWAGGER_UI, AXE)}


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
    digests = {name: sha256_of(asset.directory / name) for name in (asset.script, *asset.hashed)}
    (asset.directory / "VERSION").write_text(asset.version_text(digests), encoding="utf-8")
    return digests[asset.script]


def recorded_digests(directory: Path) -> dict[str, str]:
    """Every file VERSION records a sha256 for: its name → the digest."""
    lines = (directory / "VERSION").read_text(encoding="utf-8").splitlines()[1:]
    return {line.split()[2]: line.split()[1] for line in lines if line.startswith("sha256 ")}


def check(directory: Path = VENDOR_DIR, script: str = SCRIPT) -> bool:
    """Whether the vendored script, and every other file VERSION records, is the one recorded."""
    _version, digest = read_version_file(directory)
    if sha256_of(directory / script) != digest:
        return False
    return all(
        (directory / name).is_file() and sha256_of(directory / name) == recorded
        for name, recorded in recorded_digests(directory).items()
    )


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
                where = f"{asset.directory.relative_to(ROOT)}"
                print(f"{where}: a file differs from VERSION ({asset.package} {version}).",
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
