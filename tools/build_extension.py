"""Build the installable extension zip(s): one command, offline install for users.

    .venv/bin/python tools/build_extension.py [--platform linux-x64 ...] [--no-split] [--gpu]

1. Downloads the onnxruntime and tokenizers wheels the manifest lists
   (blender_manifest.toml `wheels`, pinned like requirements.txt) into
   ./wheels with `pip download --only-binary=:all: --python-version 3.11
   --platform ...`; files already there are reused.
2. Stages the repository into a temporary folder under build/ (hard links, so it is cheap),
   with the manifest limited to the platforms whose wheels are present.
3. Runs Blender's extension builder (blender_ext.py from the bpy package, no
   Blender binary needed), one zip per platform in dist/ (--no-split: one zip
   for all), and prints each zip's path and size.
Numpy is not bundled: Blender ships it. --gpu builds the GPU variant for
linux-x64 and windows-x64: onnxruntime-gpu (requirements-gpu.txt) in place of
onnxruntime, zips named `...-gpu-<platform>.zip`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "blender_manifest.toml"
WHEEL_DIR = ROOT / "wheels"
BUILD = ROOT / "build"  # each run stages into its own temporary folder here (same disk: hard links work)
DIST = ROOT / "dist"
GPU_PINS = ROOT / "requirements-gpu.txt"
#: the platforms onnxruntime-gpu publishes wheels for, and each wheel's platform tag
GPU_PLATFORM_TAGS = {"linux-x64": "manylinux_2_28_x86_64", "windows-x64": "win_amd64"}
#: top-level entries never staged (besides what the manifest's build excludes anyway)
_SKIP = {".git", ".venv", "build", "dist", "wheels", "tests", "tools", "docs", "__pycache__", ".ci",
         ".pytest_cache", ".ruff_cache"}  # fmt: skip


def wheel_platform(filename: str) -> str:
    """The Blender platform a wheel file is for."""
    tags = filename[:-4].split("-")[-1]
    if "macosx" in tags:
        return "macos-arm64" if "arm64" in tags else "macos-x64"
    if tags.startswith("win"):
        return "windows-arm64" if "arm64" in tags else "windows-x64"
    return "linux-arm64" if "aarch64" in tags else "linux-x64"


def pinned_versions(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)==([^\s#;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def check_pins(wheels: list[str]) -> None:
    pins = pinned_versions()
    for wheel in wheels:
        name, version = Path(wheel).name.split("-")[:2]
        want = pins.get(name.lower().replace("_", "-"))
        if want != version:
            sys.exit(f"build_extension: {Path(wheel).name} does not match requirements.txt ({name}=={want})")


def gpu_wheels(wheels: list[str], platform: str) -> list[str]:
    """A platform's manifest wheels with onnxruntime replaced by the pinned onnxruntime-gpu wheel."""
    if platform not in GPU_PLATFORM_TAGS:
        sys.exit(f"build_extension: no GPU variant for {platform} (onnxruntime-gpu exists for "
                 f"{', '.join(GPU_PLATFORM_TAGS)})")  # fmt: skip
    version = pinned_versions(GPU_PINS)["onnxruntime-gpu"]
    gpu = f"./wheels/onnxruntime_gpu-{version}-cp311-cp311-{GPU_PLATFORM_TAGS[platform]}.whl"
    return [gpu if Path(w).name.startswith("onnxruntime-") else w for w in wheels]


def download(filename: str) -> bool:
    """Fetch one wheel by its exact file name with pip; True when it is in ./wheels afterwards."""
    target = WHEEL_DIR / filename
    if target.exists():
        return True
    name, version, _py, abi, platforms = filename[:-4].split("-")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--python-version", "3.11", "--implementation", "cp", "--abi", abi, "-d", str(WHEEL_DIR)]  # fmt: skip
    for tag in platforms.split("."):
        cmd += ["--platform", tag]
    cmd.append(f"{name}=={version}")
    WHEEL_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WHEEL_DIR, prefix=".download-") as tmp:  # whole files only, even when
        cmd[cmd.index(str(WHEEL_DIR))] = tmp  # two builds fetch the same wheel at once
        proc = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / filename
        if proc.returncode != 0 or not got.exists():
            last = (proc.stderr.strip().splitlines() or ["no such file was downloaded"])[-1]
            print(f"build_extension: could not download {filename}: {last}", file=sys.stderr)
            return False
        got.replace(target)
    return True


def blender_ext_script() -> Path:
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build_extension: the bpy package is not installed here; run tools/bootstrap.sh first")
    bpy_dir = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(bpy_dir.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        sys.exit(f"build_extension: blender_ext.py not found under {bpy_dir}")
    return found[-1]


def stage(platforms: list[str], wheels: list[str], into: Path) -> Path:
    """Hard-link the repository into `into` with a manifest for `platforms` only."""
    into.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name in _SKIP or entry.name == MANIFEST.name or entry.is_symlink():
            continue
        dest = into / entry.name
        if entry.is_dir():
            shutil.copytree(entry, dest, copy_function=_link, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            _link(entry, dest)
    (into / "wheels").mkdir()
    for wheel in wheels:
        _link(ROOT / wheel, into / wheel)
    text = MANIFEST.read_text()
    text = re.sub(r"(?ms)^platforms = \[.*?\]", "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]", text)
    text = re.sub(r"(?ms)^wheels = \[.*?\n\]", "wheels = [\n" + "".join(f'  "{w}",\n' for w in wheels) + "]", text)
    (into / MANIFEST.name).write_text(text)
    return into


def _link(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--platform", action="append", help="Blender platform(s) to build (default: all in the manifest)"
    )
    parser.add_argument("--no-split", action="store_true", help="one zip for all platforms instead of one each")
    parser.add_argument("--output-dir", type=Path, default=DIST)
    parser.add_argument("--gpu", action="store_true", help="the GPU variant (onnxruntime-gpu; Linux and Windows x64)")
    args = parser.parse_args(argv)
    if args.gpu and args.no_split:
        sys.exit("build_extension: --gpu builds one zip per platform; leave out --no-split")

    manifest = tomllib.loads(MANIFEST.read_text())
    all_wheels = manifest.get("wheels", [])
    check_pins(all_wheels)
    wanted = args.platform or (list(GPU_PLATFORM_TAGS) if args.gpu else manifest["platforms"])
    unknown = sorted(set(wanted) - set(manifest["platforms"]))
    if unknown:
        sys.exit(f"build_extension: platform(s) {', '.join(unknown)} not in the manifest {manifest['platforms']}")

    platforms, wheels = [], []
    for platform in wanted:
        mine = [w for w in all_wheels if wheel_platform(Path(w).name) == platform]
        mine = gpu_wheels(mine, platform) if args.gpu else mine
        if all([download(Path(w).name) for w in mine]):  # noqa: C419 - download every one, not just until a failure
            platforms.append(platform)
            wheels += mine
        else:
            print(f"build_extension: skipping {platform}: its wheels are missing", file=sys.stderr)
    if not platforms:
        sys.exit("build_extension: no platform has all its wheels; nothing built")

    BUILD.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD, prefix="extension-") as tmp:  # concurrent builds do not collide
        return _build(args, manifest, platforms, wheels, Path(tmp))


def _build(args, manifest: dict, platforms: list[str], wheels: list[str], tmp: Path) -> int:
    source = stage(platforms, [w.removeprefix("./") for w in wheels], tmp / "extension")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    build_dir = tmp / "gpu-zips" if args.gpu else args.output_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(blender_ext_script()), "build", "--source-dir", str(source),
           "--output-dir", str(build_dir)]  # fmt: skip
    if not args.no_split:
        cmd.append("--split-platforms")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        return proc.returncode or 1
    version = manifest["version"]
    names = [f"{manifest['id']}-{version}-{p.replace('-', '_')}.zip" for p in platforms]
    if args.no_split:
        names = [f"{manifest['id']}-{version}.zip"]
    if args.gpu:  # the same extension id (install one or the other), a name that says which
        for name in names:
            (build_dir / name).replace(args.output_dir / name.replace(f"-{version}-", f"-{version}-gpu-"))
        names = [name.replace(f"-{version}-", f"-{version}-gpu-") for name in names]
    for name in names:
        path = args.output_dir / name
        print(f"{path}  {path.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
