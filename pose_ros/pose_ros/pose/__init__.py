"""Pose estimation: a TFLite model family turned into tracked, smoothed COCO-17 poses."""

from pose_ros.pose.estimator import PoseEstimator, PoseResult
from pose_ros.pose.options import ModelFamily, PoseEstimatorOptions
from pose_ros.pose.runtime import ModelLoadError, Runtime

__all__ = ['ModelFamily', 'ModelLoadError', 'PoseEstimator', 'PoseEstimatorOptions',
           'PoseResult', 'Runtime']
