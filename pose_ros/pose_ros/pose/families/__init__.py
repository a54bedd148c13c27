"""One module per model family; each adapts its model's tensors to COCO-17 poses."""

from pose_ros.pose.families.base import (
    FAMILIES,
    FamilyAdapter,
    UnsupportedModelError,
    check_family,
    create_adapter,
    describe_tensors,
    detect_family,
)

__all__ = ['FAMILIES', 'FamilyAdapter', 'UnsupportedModelError', 'check_family',
           'create_adapter', 'describe_tensors', 'detect_family']
