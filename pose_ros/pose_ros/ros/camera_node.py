"""camera_node: a V4L2 camera, a video file, an image folder or a GIF on camera/image_raw."""

from __future__ import annotations

from collections.abc import Collection
import sys
import threading
import time

from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from pose_ros.core.throttle import KeyedThrottle
from pose_ros.media.calibration import CalibrationError, CameraCalibration, load_camera_info
from pose_ros.media.image import rgb_to_image_data
from pose_ros.media.sources import CameraError, Frame, open_source
from pose_ros.ros import params, runner
from pose_ros.ros.qos import newest_frame_only

IMAGE_TOPIC = 'camera/image_raw'
INFO_TOPIC = 'camera/camera_info'
# Seconds the count of subscribers must stay the same before a replay starts: Fast DDS finds
# the subscribers of other processes one by one, sometimes half a second apart.
SUBSCRIBER_SETTLE_S = 1.0

PARAMS = (
    params.Param('source', '',
                 "A V4L2 camera: its index ('' is 0) or device path (/dev/video0); or a video "
                 'file, a folder of images (png, jpg, jpeg, bmp; in name order) or an animated '
                 '.gif, replayed at its own rate like a live camera.', read_only=True),
    params.Param('width', 0,
                 'Publish frames this wide (px); 0 keeps the source width, or the aspect ratio '
                 'when only height is set.', minimum=0, maximum=16384, read_only=True),
    params.Param('height', 0,
                 'Publish frames this high (px); 0 keeps the source height, or the aspect ratio '
                 'when only width is set.', minimum=0, maximum=16384, read_only=True),
    params.Param('fps', 0.0,
                 "Frames per second; 0 is the camera's or the file's own rate (30 for an image "
                 'folder). Faster cameras are thinned out to it.', minimum=0.0, maximum=1000.0,
                 read_only=True),
    params.Param('loop', True,
                 'Files start again at their end; when false the node says so and publishes '
                 'no more (it keeps running).', read_only=True),
    params.Param('wait_for_subscribers', 1,
                 f'A replay (not a camera) starts once this many subscribers listen on '
                 f'{IMAGE_TOPIC}, so that they see it from its first frame; 0 starts at once.',
                 minimum=0, maximum=1000, read_only=True),
    params.Param('frame_id', 'camera', 'frame_id of the published images and camera info.'),
    params.Param('camera_info_file', '',
                 'A calibration YAML as written by ROS camera_calibration, published on '
                 f'{INFO_TOPIC} with each image; empty publishes no camera info. A new file '
                 'that does not load is refused and the old one stays.'),
)

# Errors that make start-up impossible; each message says what was expected.
STARTUP_ERRORS = (params.ParameterError, CameraError, CalibrationError)


class CameraNode(Node):
    """Publish frames from a camera or a recording, stamped when they were captured."""

    def __init__(self, shared_process: Collection[str] = ()) -> None:
        super().__init__('camera_node', **params.NODE_OPTIONS)
        self._params = params.declare(self, PARAMS, shared_process)
        p = self._params
        self._info: CameraCalibration | None = (
            load_camera_info(p['camera_info_file']) if p['camera_info_file'] else None)
        self._info_mismatch_told = False
        self._errors = KeyedThrottle(period_s=5.0)
        self._source = open_source(p['source'], p['width'], p['height'], p['fps'], p['loop'],
                                   report=self._report)
        params.on_set(self, PARAMS, lambda: self._params, self._apply_params)

        # Depth 1, best effort: a consumer that falls behind gets the newest frame, never a
        # queue of old ones.
        qos = newest_frame_only()
        self._image_pub = self.create_publisher(Image, IMAGE_TOPIC, qos)
        self._info_pub = self.create_publisher(CameraInfo, INFO_TOPIC, qos)
        self._published = 0
        self._stopping = False
        self._worker = threading.Thread(target=self._capture, name='camera_capture',
                                        daemon=True)
        source = self._source
        size = (f'{p["width"] or "native"}x{p["height"] or "native"}'
                if p['width'] or p['height'] else 'native size')
        replay = '' if source.live else (', looping' if p['loop'] else ', once')
        self.get_logger().info(
            f'publishing {source.description} on {self._image_pub.topic_name} ({size}, '
            f'{1.0 / source.period_s:.3g} frames/s{replay})'
            + (f'; camera info from {self._info.path}' if self._info else '')
            + ('' if source.live or not p['wait_for_subscribers'] else
               f'; the replay starts when {p["wait_for_subscribers"]} subscriber(s) listen'))
        # Started from the executor, not here: in a shared process (the pipeline) the nodes
        # made after this one, and the executor, must exist before the first frame goes out.
        self._subscribers = 0
        self._subscribed_at = 0.0
        self._started = False
        self._start_timer = self.create_timer(0.05, self._start_when_watched)

    def _start_when_watched(self) -> None:
        """Start capturing; a replay only once its subscribers have had time to match.

        Why wait: frames are best effort, so a replay started before anyone listens loses its
        first frames, and a clip played once (loop false) would then never be seen whole. The
        publisher sees a subscriber a little before the subscriber accepts its frames, and
        other subscribers are often found a little later, hence the wait for the count of
        subscribers to settle. A camera is live: it starts at once, as a camera would.
        """
        wanted = self._params['wait_for_subscribers']
        if not self._source.live and wanted:
            now = time.monotonic()
            count = self._image_pub.get_subscription_count()
            if count != self._subscribers:
                self._subscribers, self._subscribed_at = count, now
            if count < wanted or now - self._subscribed_at < SUBSCRIBER_SETTLE_S:
                return
            self.get_logger().info(
                f'{count} subscriber(s) on {self._image_pub.topic_name}: replay starts')
        self._start_timer.cancel()
        if not self._started and not self._stopping:
            self._started = True
            self._worker.start()

    def _apply_params(self, new: dict, changed: set[str]) -> str | None:
        if 'camera_info_file' in changed:
            path = new['camera_info_file']
            try:
                info = load_camera_info(path) if path else None
            except CalibrationError as exc:
                return str(exc)
            self._info = info
            self._info_mismatch_told = False
            self.get_logger().info(f'camera info from {path}' if path else
                                   f'no more camera info on {self._info_pub.topic_name}')
        self._params = new
        return None

    def _report(self, level: str, message: str) -> None:
        """Log what the source tells: losses and recoveries always, errors throttled."""
        log = self.get_logger()
        if level == 'error':
            if (text := self._errors.due(message, message)) is not None:
                log.error(text)
        elif level == 'warning':
            log.warning(message)
        else:
            log.info(message)

    # -- capture: on its own thread, so a blocking camera read never holds up the executor --
    def _capture(self) -> None:
        source = self._source
        try:
            while (frame := source.read()) is not None:
                self._publish(frame)
            if source.ended:
                self.get_logger().info(
                    f'end of {source.description} after {self._published} frames; loop is '
                    'false, so no more images are published')
        except CameraError as exc:
            self.get_logger().error(f'{exc}; no more images are published')
        except Exception as exc:  # noqa: BLE001 - tell why, unless we are shutting down
            if not self._stopping:
                self.get_logger().error(f'capture stopped: {exc!r}')
        finally:
            source.close()

    def _publish(self, frame: Frame) -> None:
        # Stamped at capture, not now: conversion and resizing happened since. The source's
        # clock is time.monotonic, so the frame's age carries over onto the ROS clock.
        age_ns = max(0, round((time.monotonic() - frame.time_s) * 1e9))
        stamp = self.get_clock().now() - Duration(nanoseconds=age_ns)
        header = Header(stamp=stamp.to_msg(), frame_id=self._params['frame_id'])
        height, width = frame.rgb.shape[:2]
        encoding, step, data = rgb_to_image_data(frame.rgb)
        self._image_pub.publish(Image(header=header, height=height, width=width,
                                      encoding=encoding, is_bigendian=0, step=step, data=data))
        info = self._info
        if info is not None:
            if (info.image_width, info.image_height) != (width, height) and \
                    not self._info_mismatch_told:
                self._info_mismatch_told = True
                self.get_logger().warning(
                    f'the calibration in {info.path} is for {info.image_width}x'
                    f'{info.image_height} images but {width}x{height} are published: it does '
                    'not match (set width and height to the calibrated size, or recalibrate); '
                    'publishing it unchanged')
            self._info_pub.publish(CameraInfo(
                header=header, height=info.image_height, width=info.image_width,
                distortion_model=info.distortion_model, d=list(info.distortion_coefficients),
                k=list(info.camera_matrix), r=list(info.rectification_matrix),
                p=list(info.projection_matrix)))
        self._published += 1

    def destroy_node(self) -> None:
        self._stopping = True
        self._source.stop()
        # A camera read returns within a frame or the driver's timeout; do not wait longer.
        if self._worker.is_alive():
            self._worker.join(timeout=5.0)
        else:
            self._source.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    return runner.run(CameraNode, 'camera_node', args, STARTUP_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
