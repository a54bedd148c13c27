"""3D keypoints from an aligned depth image: camera model, sampling, correction, pairing.

Plain Python (numpy, OpenCV), no ROS: pose_node's glue hands it message fields.
"""

from pose_ros.depth.camera import CameraModelError, PinholeCamera
from pose_ros.depth.image import DepthFormatError, DepthImage, depth_from_fields
from pose_ros.depth.lift import Positions, lift_hands, lift_keypoints
from pose_ros.depth.pairing import Paired, StampPairer

__all__ = ['CameraModelError', 'DepthFormatError', 'DepthImage', 'Paired', 'PinholeCamera',
           'Positions', 'StampPairer', 'depth_from_fields', 'lift_hands', 'lift_keypoints']
