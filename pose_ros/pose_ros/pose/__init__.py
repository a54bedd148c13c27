"""Pose estimation: a TFLite model family turned into tracked, smoothed COCO-17 poses."""

from pose_ros.pose.estimator import PoseEstimator, PoseResult
from pose_ros.pose.options import ModelFamily, PoseEstimatorOptions
from pose_ros.pose.runtime import ModelLoadError, Runtime
from pose_ros.pose.worker import FrameStats, LatestFrameWorker

__all__ = ['FrameStats', 'LatestFrameWorker', 'ModelFamily', 'ModelLoadError', 'PoseEstimator',
           'PoseEstimatorOptions', 'PoseResult', 'Runtime']
