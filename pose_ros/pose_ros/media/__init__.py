"""Images in and out: camera and recording sources, encodings, the demo clip, drawing."""

from pose_ros.media.calibration import CalibrationError, CameraCalibration, load_camera_info
from pose_ros.media.draw import draw_poses, draw_text_lines
from pose_ros.media.image import ImageFormatError, image_to_rgb, rgb_to_image_data
from pose_ros.media.sources import CameraError, Frame, FrameSource, open_source

__all__ = ['CalibrationError', 'CameraCalibration', 'CameraError', 'Frame', 'FrameSource',
           'ImageFormatError', 'draw_poses', 'draw_text_lines', 'image_to_rgb',
           'load_camera_info', 'open_source', 'rgb_to_image_data']
