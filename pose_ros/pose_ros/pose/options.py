"""What a ``PoseEstimator`` is built from: the model families by name, and validated options.

Options are checked when they are made, so a mistake is reported where it was written (a
script's keyword, a node parameter) with the option's name and what is allowed, and an
estimator never sees a value it cannot use. The dataclass is frozen for the same reason:
``dataclasses.replace`` makes a changed copy and checks it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
import os

from pose_ros.core.checks import check_int, check_positive, check_score


class ModelFamily(str, Enum):
    """The model families pose_ros decodes; each value is a ``model_type`` parameter value.

    AUTO recognises the family from the model's tensors (or the registered model's name).
    """

    AUTO = 'auto'
    BLAZEPOSE = 'blazepose'
    MOVENET_SINGLEPOSE = 'movenet_singlepose'
    MOVENET_MULTIPOSE = 'movenet_multipose'
    POSENET = 'posenet'
    YOLO_POSE = 'yolo_pose'
    HEATMAP = 'heatmap'


# Every family but AUTO, in the order they are listed to users.
FAMILIES: tuple[str, ...] = tuple(f.value for f in ModelFamily if f is not ModelFamily.AUTO)
MODEL_TYPES: tuple[str, ...] = tuple(f.value for f in ModelFamily)


def _path(name: str, value: object) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f'{name} must be a path (str), got {type(value).__name__}')
    return os.fspath(value)


@dataclass(frozen=True)
class PoseEstimatorOptions:
    """How to build a ``PoseEstimator``; every field maps to a pose_node parameter.

    ``model_type`` takes a ``ModelFamily`` or its value and is kept as the plain value.
    ``min_person_score`` None takes the family's own default: a person's score means
    something different in each family (``families.DEFAULT_MIN_PERSON_SCORE``).
    ``max_persons`` does not apply to BlazePose, which follows one person.
    """

    model_path: str
    model_type: str = ModelFamily.AUTO.value
    detector_path: str = ''
    num_threads: int = 2
    delegate_path: str = ''
    max_persons: int = 6
    min_person_score: float | None = None
    smoothing: bool = True
    smoothing_min_cutoff: float = 1.0
    smoothing_beta: float = 4.0

    def __post_init__(self) -> None:
        try:
            model_type = ModelFamily(self.model_type).value
        except ValueError:
            raise ValueError(f'model_type {self.model_type!r} is not supported; allowed: '
                             f'{", ".join(MODEL_TYPES)}') from None
        if not isinstance(self.smoothing, bool):
            raise ValueError(f'smoothing must be True or False, got {self.smoothing!r}')
        values = {
            'model_path': _path('model_path', self.model_path),
            'model_type': model_type,
            'detector_path': _path('detector_path', self.detector_path),
            'delegate_path': _path('delegate_path', self.delegate_path),
            'num_threads': check_int('num_threads', self.num_threads, 1),
            'max_persons': check_int('max_persons', self.max_persons, 1),
            'min_person_score': None if self.min_person_score is None
            else check_score('min_person_score', self.min_person_score),
            'smoothing_min_cutoff': check_positive('smoothing_min_cutoff',
                                                   self.smoothing_min_cutoff),
            'smoothing_beta': check_positive('smoothing_beta', self.smoothing_beta,
                                             allow_zero=True),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
