"""Steer a robot with your body: pose estimation and gesture control for ROS 2.

The core needs no ROS::

    from pose_ros import PoseEstimator
    with PoseEstimator.from_model('blazepose_full') as estimator:
        poses = estimator.estimate(rgb).poses
"""

from importlib import import_module

_EXPORTS = {
    'PoseEstimator': 'pose_ros.pose', 'PoseEstimatorOptions': 'pose_ros.pose',
    'PoseResult': 'pose_ros.pose', 'ModelFamily': 'pose_ros.pose', 'Pose': 'pose_ros.core',
    'Keypoint': 'pose_ros.core', 'load_gestures': 'pose_ros.gestures',
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    # Lazy, so that `import pose_ros.ros.pose_node` does not load what it does not use.
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
