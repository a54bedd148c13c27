"""Pose models by name: where each comes from and where it is cached.

Weights are not shipped with the package (licences and size), so the node takes a
model *name* and this module turns it into files on disk. Every file records its
source and, where known, its SHA-256, so what runs on the robot is exactly what was
tested. Where a checksum could not be established the registry says so
(``sha256=None``) and ``fetch`` prints the digest it got so a user can pin it.
Fetching is ``pose_ros.models.download``; the command line is ``pose_ros.models.cli``::

    ros2 run pose_ros fetch_model blazepose_full
    python -m pose_ros.models fetch movenet_lightning --dir /opt/models
    python -m pose_ros.models list
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path

DEFAULT_MODEL = 'blazepose_full'

# BlazePose weights are published inside the mediapipe wheel; PyPI is the one source
# every machine that can pip-install can reach. One exact wheel is pinned (see
# pip_download_wheel) so the checksums below hold on any host.
MEDIAPIPE_REQUIREMENT = 'mediapipe==0.10.21'

PYPI_PREFIX = 'pypi:'


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
            ModelFile('pose_landmark_full.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      'e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f',
                      6440512, 'Apache-2.0',
                      member='mediapipe/modules/pose_landmark/pose_landmark_full.tflite'),
            ModelFile('pose_detection.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
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


def model_names() -> str:
    return ', '.join(REGISTRY)


def get_spec(name: str) -> ModelSpec:
    """Return the registry entry for ``name`` or raise UnknownModelError listing names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownModelError(
            f'unknown model {name!r}; registered models: {model_names()}') from None


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
        f'registered models: {model_names()}')
