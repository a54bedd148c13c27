"""Hand keypoints per person: MediaPipe's hand models on regions found from the body.

Plain Python (numpy, OpenCV, the TFLite runtime); no ROS. ``HandEstimator`` is the entry.
"""

from pose_ros.hands.estimator import Hand, HandEstimator, HandEstimatorOptions, HandSource
from pose_ros.hands.landmarks import Handedness, HandLandmark

__all__ = ['Hand', 'HandEstimator', 'HandEstimatorOptions', 'HandLandmark', 'HandSource',
           'Handedness']
