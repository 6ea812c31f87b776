"""Build the wincloud MSI on Linux with wixl (Debian's ``wixl`` and ``msitools`` packages).

Three steps, each a subcommand; the MSI carries its own Python, so the target needs nothing:

  requirements   the runtime requirements for Windows (pyproject's [project].dependencies with
                 their markers evaluated for win_amd64, plus pywin32), one per line
  stage          a staging tree: STAGING/python/ = the embeddable CPython (python-3.11.x-embed-
                 amd64.zip from python.org) with Lib/site-packages holding wincloud and its
                 dependencies as win_amd64 wheels (pip download --platform win_amd64
                 --only-binary=:all:, then pip install --target, no network at install time)
  msi            harvest STAGING/python with wixl-heat and compile wincloud.wxs into the MSI

Usage:
  python packaging/windows/build_msi.py requirements
  python packaging/windows/build_msi.py stage --python-zip python-3.11.9-embed-amd64.zip \
      --out build/stage
  python packaging/windows/build_msi.py msi --staging build/stage --out dist/wincloud.msi
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WXS = HERE / "wincloud.wxs"
PYTHON_VERSION = "3.11"
WINDOWS_ONLY = ("pywin32>=306",)
WINDOWS_MARKERS = {
    "os_name": "nt",
    "sys_platform": "win32",
    "platform_system": "Windows",
    "platform_machine": "AMD64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": PYTHON_VERSION,
    "python_full_version": PYTHON_VERSION + ".9",
}


def windows_requirements(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """pyproject's runtime dependencies as Windows sees them: a marker that is false on
    win_amd64 drops its requirement (uvloop), a true one is removed; pywin32 is added."""
    from packaging.requirements import Requirement

    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    out: list[str] = []
    names: set[str] = set()
    for text in [*project.get("dependencies", []), *WINDOWS_ONLY]:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate(dict(WINDOWS_MARKERS)):
            continue
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in names:
            continue
        names.add(name)
        req.marker = None
        out.append(str(req))
    return out


def pip_download_argv(dest: Path, requirements: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest),
        "--only-binary=:all:", "--platform", "win_amd64",
        "--python-version", PYTHON_VERSION, "--implementation", "cp",
        *requirements,
    ]  # fmt: skip


def msi_version(version: str) -> str:
    """MSI ProductVersion: up to three numeric fields (``0.1.0rc1`` -> ``0.1.0``)."""
    numbers = re.findall(r"\d+", version.split("+", 1)[0])[:3]
    return ".".join([*numbers, "0", "0", "0"][:3])


def stage(python_zip: Path, out: Path, wheels: Path | None = None) -> Path:
    """Unpack the embeddable Python into OUT/python and install wincloud with its
    dependencies (win_amd64 wheels) into its Lib/site-packages."""
    python = out / "python"
    if python.exists():
        shutil.rmtree(python)
    python.mkdir(parents=True)
    with zipfile.ZipFile(python_zip) as archive:
        archive.extractall(python)
    site = python / "Lib" / "site-packages"
    site.mkdir(parents=True)
    for pth in python.glob("python3*._pth"):  # sys.path of the embeddable Python
        stdlib_zip = next(iter(python.glob("python3*.zip")), None)
        lines = [stdlib_zip.name if stdlib_zip else "", ".", r"Lib\site-packages", "import site"]
        pth.write_text("\r\n".join(line for line in lines if line) + "\r\n", encoding="ascii")
    with tempfile.TemporaryDirectory() as tmp:
        found = wheels or Path(tmp)
        if wheels is None:
            subprocess.run(pip_download_argv(found, windows_requirements()), check=True)
            wheel_argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(found)]
            subprocess.run([*wheel_argv, str(REPO)], check=True)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                "--find-links", str(found), "--target", str(site), "--platform", "win_amd64",
                "--python-version", PYTHON_VERSION, "--only-binary=:all:",
                "wincloud", *windows_requirements(),
            ],
            check=True,
        )  # fmt: skip
    return out


def harvest(staging: Path, out: Path) -> Path:
    """The runtime's components (everything under STAGING/python but python.exe, which the
    service component owns) as a WiX fragment, through wixl-heat."""
    root = staging / "python"
    files = sorted(str(p) for p in root.rglob("*") if p.is_file())
    listing = "\n".join(files) + "\n"
    done = subprocess.run(
        [
            "wixl-heat", "--prefix", f"{root}/", "--directory-ref", "PYTHONDIR",
            "--component-group", "CG.Runtime", "--var", "var.PythonDir", "--win64",
            "--exclude", "python.exe",
        ],
        input=listing.encode(), capture_output=True, check=True,
    )  # fmt: skip
    out.write_bytes(done.stdout)
    return out


def build_msi(staging: Path, out: Path, *, version: str | None = None) -> Path:
    if not (staging / "python" / "python.exe").is_file():
        raise SystemExit(f"{staging}/python/python.exe is missing: run the stage step first")
    if version is None:
        sys.path.insert(0, str(REPO / "src"))
        from wincloud import __version__ as version
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fragment = harvest(staging, Path(tmp) / "runtime.wxs")
        subprocess.run(
            [
                "wixl", "--arch", "x64", "-o", str(out.resolve()),
                "-D", f"Version={msi_version(version)}",
                "-D", "SourceDir=.", "-D", "PythonDir=python",
                "-D", "Win64=yes", str(WXS), str(fragment),
            ],
            check=True,
            cwd=staging,  # wixl resolves Source paths relative to here, not absolute ones
        )  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("requirements")
    staging = sub.add_parser("stage")
    staging.add_argument("--python-zip", type=Path, required=True)
    staging.add_argument(
        "--wheels", type=Path, help="a directory of win_amd64 wheels (else downloaded)"
    )
    staging.add_argument("--out", type=Path, required=True)
    msi = sub.add_parser("msi")
    msi.add_argument("--staging", type=Path, required=True)
    msi.add_argument("--out", type=Path, required=True)
    msi.add_argument("--version")
    args = parser.parse_args(argv)
    if args.step == "requirements":
        print("\n".join(windows_requirements()))
    elif args.step == "stage":
        stage(args.python_zip, args.out, args.wheels)
    else:
        print(build_msi(args.staging, args.out, version=args.version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
