"""Pose estimation: a TFLite model family turned into tracked, smoothed COCO-17 poses."""

from pose_ros.pose.estimator import PoseEstimator, PoseEstimatorOptions, PoseResult
from pose_ros.pose.runtime import ModelLoadError, Runtime

__all__ = ['ModelLoadError', 'PoseEstimator', 'PoseEstimatorOptions', 'PoseResult', 'Runtime']
