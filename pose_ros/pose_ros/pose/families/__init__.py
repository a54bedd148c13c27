"""One module per model family; each adapts its model's tensors to COCO-17 poses.

Importing this package registers every family with ``base`` (which imports none of them),
in the order detection tries them.
"""

from pose_ros.pose.families import blazepose, heatmap, movenet, posenet, yolo_pose  # noqa: F401
from pose_ros.pose.families.base import (
    DEFAULT_MIN_PERSON_SCORE,
    Adapter,
    AdapterSettings,
    Family,
    FamilyAdapter,
    UnsupportedModelError,
    check_family,
    create_adapter,
    default_min_person_score,
    describe_tensors,
    detect_family,
    register,
    registered,
)
from pose_ros.pose.options import FAMILIES, ModelFamily

__all__ = ['Adapter', 'AdapterSettings', 'DEFAULT_MIN_PERSON_SCORE', 'FAMILIES', 'Family',
           'FamilyAdapter', 'ModelFamily', 'UnsupportedModelError', 'check_family',
           'create_adapter', 'default_min_person_score', 'describe_tensors', 'detect_family',
           'register', 'registered']
