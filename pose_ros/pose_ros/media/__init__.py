"""Images in and out: camera and recording sources, encodings, the demo clip, drawing."""

from pose_ros.media.camera import CameraError, Frame, FrameSource, open_source
from pose_ros.media.draw import draw_poses, draw_text_lines
from pose_ros.media.image import ImageFormatError, image_to_rgb, rgb_to_image_data

__all__ = ['CameraError', 'Frame', 'FrameSource', 'ImageFormatError', 'draw_poses',
           'draw_text_lines', 'image_to_rgb', 'open_source', 'rgb_to_image_data']
