"""pose_node: camera images in, COCO-17 keypoints of every person out on /pose/keypoints."""

from __future__ import annotations

from collections.abc import Collection
import sys
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from pose_ros.core.throttle import KeyedThrottle
from pose_ros.hands import HandEstimator, HandEstimatorOptions
from pose_ros.hands.persons import attach_hands
from pose_ros.kinematics import KinematicsTracker
from pose_ros.media.draw import MIN_DRAW_SCORE, draw_poses
from pose_ros.media.image import ImageFormatError, image_msg_to_rgb, rgb_to_image_data
from pose_ros.models.registry import DEFAULT_HAND_MODEL, DEFAULT_MODEL, REGISTRY, ModelError
from pose_ros.pose.estimator import PoseEstimator
from pose_ros.pose.families import DEFAULT_MIN_PERSON_SCORE, UnsupportedModelError
from pose_ros.pose.options import MODEL_TYPES
from pose_ros.pose.runtime import ModelLoadError
from pose_ros.pose.worker import LatestFrameWorker
from pose_ros.ros import params, runner
from pose_ros.ros.depth_input import CAMERA_INFO_TOPIC, DEPTH_TOPIC, DepthInput
from pose_ros.ros.messages import kinematics_to_msg, msg_to_poses, poses_to_msg
from pose_ros.ros.qos import newest_frame_only
from pose_ros.ros.stamps import stamp_to_seconds
from pose_ros_msgs.msg import KinematicsArray, PersonArray

try:  # cv_bridge comes with a ROS distro, not from PyPI
    from cv_bridge import CvBridge
except ImportError:  # pragma: no cover - depends on the installation
    CvBridge = None

IMAGE_TOPIC = 'camera/image_raw'
# min_person_score's value for "the model family's own default": a ROS parameter needs a
# value, and a person's score means something different in each family.
FAMILY_DEFAULT = -1.0
# Seconds between repeats of the same "no image" warning.
SILENCE_REPEAT_S = 10.0
# The registered hand models hands_model may name.
HAND_MODELS = tuple(name for name, spec in REGISTRY.items() if spec.kind == 'hands')


def person_score_option(value: float) -> float | None:
    """Map the parameter onto PoseEstimatorOptions: None asks for the family's default."""
    return None if value == FAMILY_DEFAULT else float(value)


def _score_or_family_default(value: float) -> str | None:
    if value == FAMILY_DEFAULT or 0.0 <= value <= 1.0:
        return None
    return (f"is out of range; use {FAMILY_DEFAULT} for the model family's default, or a "
            'score from 0.0 to 1.0')


PARAMS = (
    params.Param('model', DEFAULT_MODEL,
                 'A model name from `ros2 run pose_ros fetch_model list`.', read_only=True),
    params.Param('model_path', '',
                 'Your own .tflite file instead of a named model (for BlazePose: the landmark '
                 'model, with pose_detection.tflite beside it or in detector_path).',
                 read_only=True),
    params.Param('model_type', 'auto',
                 'The model family; auto detects it from the tensors where that is unambiguous.',
                 choices=MODEL_TYPES, read_only=True),
    params.Param('detector_path', '',
                 'BlazePose only: the person detector; empty means the one beside the model.',
                 read_only=True),
    params.Param('num_threads', 2, "CPU threads for inference: the body model's, and the "
                 "hand models' in all (two hands side by side, sharing them).",
                 minimum=1, maximum=64, read_only=True),
    params.Param('delegate_path', '',
                 'Optional TFLite external delegate library (Edge TPU, GPU).', read_only=True),
    params.Param('max_persons', 6, 'At most this many persons per frame (multi-person models).',
                 minimum=1, maximum=100, read_only=True),
    params.Param('min_person_score', FAMILY_DEFAULT,
                 "Persons scoring below this are not reported. -1.0 takes the model family's "
                 'own threshold ('
                 + ', '.join(f'{f} {v}' for f, v in DEFAULT_MIN_PERSON_SCORE.items())
                 + '), as a score means something different in each family (README, Models); '
                 '0.0 to 1.0 is used exactly.',
                 minimum=-1.0, maximum=1.0, read_only=True, check=_score_or_family_default),
    params.Param('smoothing', True, 'One Euro smoothing of keypoints over time.',
                 read_only=True),
    params.Param('smoothing_min_cutoff', 1.0,
                 'One Euro minimum cutoff (Hz): lower is smoother when still, but lags more.',
                 minimum=0.001, maximum=100.0, read_only=True),
    params.Param('smoothing_beta', 4.0,
                 'One Euro speed coefficient, per body size per second: higher follows fast '
                 'movement with less lag.',
                 minimum=0.0, maximum=100.0, read_only=True),
    params.Param('publish_annotated', False,
                 'Also publish the image with skeletons drawn on pose/image_annotated.'),
    params.Param('annotated_min_score', MIN_DRAW_SCORE,
                 'Joints scoring below this are not drawn, nor limbs that end in one.',
                 minimum=0.0, maximum=1.0),
    params.Param('publish_kinematics', True,
                 'Publish joint angles and angular velocities of each person on '
                 'pose/kinematics (3D where keypoints have positions).', read_only=True),
    params.Param('kinematics_min_score', 0.3,
                 'Keypoints scoring below this are unknown to the joint angles.',
                 minimum=0.0, maximum=1.0, read_only=True),
    params.Param('use_depth', False,
                 "Fill each keypoint's 3D position (joint centre, metres, in the colour "
                 f"image's optical frame) from a depth image registered to the colour image on "
                 f"{DEPTH_TOPIC} (16UC1 mm or 32FC1 m) and the colour camera's "
                 f'{CAMERA_INFO_TOPIC}.', read_only=True),
    params.Param('depth_max_skew', 0.005,
                 "Seconds a depth frame's stamp may differ from the colour image's to be "
                 'paired with it; 0.0 asks for the same stamp.',
                 minimum=0.0, maximum=1.0, read_only=True),
    params.Param('depth_wait', 0.1,
                 'Seconds keypoints wait for their depth frame before they are published '
                 'without 3D positions.', minimum=0.0, maximum=2.0, read_only=True),
    params.Param('depth_min_score', 0.5,
                 'Keypoints scoring below this get no 3D position.', minimum=0.0, maximum=1.0),
    params.Param('hands', False,
                 "Also find each person's hands (21 keypoints each, in Person.hands) from their "
                 'arms, with the hand landmark model: it costs inference per visible hand.',
                 read_only=True),
    params.Param('hands_model', DEFAULT_HAND_MODEL,
                 'The hand model with hands on: full is more accurate, lite cheaper.',
                 choices=HAND_MODELS, read_only=True),
    params.Param('hands_min_score', HandEstimatorOptions().min_presence,
                 "Hands whose presence (the hand model's score) is below this are not "
                 'reported.', minimum=0.0, maximum=1.0, read_only=True),
    params.Param('image_timeout', 3.0,
                 'Warn when no image has arrived for this many seconds.', minimum=0.1),
    params.Param('diagnostics_period', 1.0, 'Seconds between /diagnostics reports.',
                 minimum=0.1, maximum=60.0, read_only=True),
)

# Errors that make start-up impossible; each message says what was expected.
STARTUP_ERRORS = (params.ParameterError, ModelError, ModelLoadError, UnsupportedModelError)


class PoseNode(Node):
    """Run a pose model on the newest camera frame and publish everybody's keypoints."""

    def __init__(self, shared_process: Collection[str] = ()) -> None:
        super().__init__('pose_node', **params.NODE_OPTIONS)
        self._params = params.declare(self, PARAMS, shared_process)
        p = self._params
        if p['model_path'] and p['model'] != DEFAULT_MODEL:
            raise params.ParameterError(
                f"parameters 'model' = {p['model']!r} and 'model_path' = {p['model_path']!r} "
                'both choose the model; set only one')
        self._estimator = PoseEstimator.from_model(
            p['model_path'] or p['model'], model_type=p['model_type'],
            detector_path=p['detector_path'], num_threads=p['num_threads'],
            delegate_path=p['delegate_path'], max_persons=p['max_persons'],
            min_person_score=person_score_option(p['min_person_score']),
            smoothing=p['smoothing'], smoothing_min_cutoff=p['smoothing_min_cutoff'],
            smoothing_beta=p['smoothing_beta'])
        self._model_name = self._estimator.model_name
        self._hands = HandEstimator(HandEstimatorOptions(
            model=p['hands_model'], num_threads=p['num_threads'],
            min_presence=p['hands_min_score'])) if p['hands'] else None
        self._bridge = CvBridge() if CvBridge is not None else None
        self._depth: DepthInput | None = None
        params.on_set(self, PARAMS, lambda: self._params, self._apply_params)

        self._keypoints_pub = self.create_publisher(PersonArray, 'pose/keypoints', 10)
        self._annotated_pub = self.create_publisher(
            Image, 'pose/image_annotated', qos_profile_sensor_data)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        # Depth 1: a frame that arrives while the last one is still waiting replaces it.
        image_qos = newest_frame_only()
        self._image_sub = self.create_subscription(Image, IMAGE_TOPIC, self._on_image, image_qos)

        # Inference on its own thread, always on the newest frame; its counters feed diagnostics.
        self._worker = LatestFrameWorker(self._process, on_error=self._unexpected,
                                         name='pose_inference')
        self._stats = self._worker.stats
        self._started = time.monotonic()
        self._last_image = 0.0
        self._last_size: tuple[int, int] | None = None
        # The publishers the last "no image" warning named ('' for none), and when it was said.
        self._silence_said = ('', float('-inf'))
        self._errors = KeyedThrottle(period_s=5.0)
        # Angles and velocities follow the keypoints as published (with depth: once paired),
        # from the worker thread or the executor's; the lock keeps each track's frames in order.
        self._kinematics = KinematicsTracker(p['kinematics_min_score']) \
            if p['publish_kinematics'] else None
        self._kinematics_lock = threading.Lock()
        self._kinematics_pub = self.create_publisher(KinematicsArray, 'pose/kinematics', 10) \
            if p['publish_kinematics'] else None
        self._depth = DepthInput(self, self._publish_keypoints, p['depth_max_skew'],
                                 p['depth_wait'], p['depth_min_score']) \
            if p['use_depth'] else None
        self._worker.start()
        self.create_timer(p['diagnostics_period'], self._report)
        self.create_timer(1.0, self._watch_input)
        self.get_logger().info(
            f'{self._model_name} ({self._estimator.family}, min_person_score '
            f'{self._estimator.min_person_score}'
            + (f", hands with {p['hands_model']}" if self._hands is not None else '')
            + ') ready; listening on '
            f'{self._image_sub.topic_name}'
            + (f' with depth from {self._depth.depth_sub.topic_name} and '
               f'{self._depth.info_sub.topic_name}' if self._depth is not None else '')
            + f', publishing {self._keypoints_pub.topic_name}')

    def _apply_params(self, new: dict, changed: set[str]) -> str | None:  # noqa: ARG002
        self._params = new
        if self._depth is not None:
            self._depth.min_score = new['depth_min_score']
        return None

    def _publish_keypoints(self, msg: PersonArray) -> None:
        self._keypoints_pub.publish(msg)
        if self._kinematics is None:
            return
        with self._kinematics_lock:
            persons = self._kinematics.update(msg_to_poses(msg),
                                              stamp_to_seconds(msg.header.stamp))
            self._kinematics_pub.publish(kinematics_to_msg(persons, msg.header))

    # -- receiving: cheap, on the executor thread ------------------------------------------
    def _on_image(self, msg: Image) -> None:
        self._last_image = time.monotonic()
        self._worker.put(msg)

    # -- inference: on the worker's thread, always on the newest frame ---------------------
    def _unexpected(self, exc: Exception) -> None:
        self._error(repr(exc), f'frame dropped after an unexpected error: {exc!r}')

    def _to_rgb(self, msg: Image):
        if self._bridge is not None:
            try:
                return self._bridge.imgmsg_to_cv2(msg, desired_encoding='rgb8')
            except Exception:  # noqa: BLE001 - fall back to ours, whose errors say more
                pass
        return image_msg_to_rgb(msg)

    def _error(self, key: str, message: str) -> None:
        if (text := self._errors.due(key, message)) is not None:
            self.get_logger().error(text)

    def _process(self, msg: Image) -> None:
        start = time.perf_counter()
        try:
            rgb = self._to_rgb(msg)
        except ImageFormatError as exc:
            self._stats.add_bad()
            self._error(str(exc), f'dropped a frame from {self._image_sub.topic_name}: {exc}')
            return
        size = (msg.width, msg.height)
        if self._last_size is not None and size != self._last_size:
            (w, h) = self._last_size
            text = self._errors.due('size', f'frame size changed from {w}x{h} to {size[0]}x'
                                    f'{size[1]} on {self._image_sub.topic_name}; tracking '
                                    'restarts')
            if text is not None:
                self.get_logger().warning(text)
            self._estimator.reset()
            if self._hands is not None:
                self._hands.reset()
        self._last_size = size
        converted = time.perf_counter()
        stamp = stamp_to_seconds(msg.header.stamp)
        if not stamp:
            # Said here, where it is known: downstream, keypoints stamped 0 only look very old.
            text = self._errors.due('unstamped', f'images on {self._image_sub.topic_name} are '
                                    'not stamped (header.stamp is 0): the keypoints keep that '
                                    'stamp, and gesture_node ignores them as stale. Stamp each '
                                    'image with its capture time')
            if text is not None:
                self.get_logger().warning(text)
        hands_s, hands = 0.0, 0
        try:
            result = self._estimator.estimate(rgb, stamp or time.time())
            poses = result.poses
            if self._hands is not None:
                # The same timestamp: a tracked person's hand regions carry over frame to frame.
                hands_start = time.perf_counter()
                poses = attach_hands(poses, self._hands.estimate(rgb, poses,
                                                                 stamp or time.time()))
                hands_s = time.perf_counter() - hands_start
                hands = sum(len(p.hands) for p in poses)
        except Exception as exc:  # noqa: BLE001 - one bad frame must not stop the node
            self._stats.add_bad()
            self._error(repr(exc), f'inference failed on a {size[0]}x{size[1]} frame: {exc!r}')
            return
        out = poses_to_msg(poses, msg.header, msg.width, msg.height, self._model_name)
        if self._depth is not None:
            self._depth.add_keypoints(out)     # published once paired with depth, or not
        else:
            self._publish_keypoints(out)
        done = time.perf_counter()
        self._stats.add(converted - start, result.timings.get('total', done - converted),
                        done - start, len(poses), hands_s, hands)
        if self._params['publish_annotated']:
            canvas = rgb.copy()
            draw_poses(canvas, poses, self._params['annotated_min_score'])
            encoding, step, data = rgb_to_image_data(canvas)
            self._annotated_pub.publish(Image(
                header=msg.header, height=msg.height, width=msg.width, encoding=encoding,
                is_bigendian=0, step=step, data=data))

    # -- telling the user what is going on ------------------------------------------------
    def _watch_input(self) -> None:
        since = time.monotonic() - (self._last_image or self._started)
        if since < self._params['image_timeout']:
            return
        topic = self._image_sub.topic_name
        seen = '; '.join(sorted(
            f'{i.node_namespace.rstrip("/")}/{i.node_name} '
            f'({i.topic_type}, {i.qos_profile.reliability.name.lower()}, '
            f'{i.qos_profile.durability.name.lower()})'
            for i in self.get_publishers_info_by_topic(topic)))
        # Said again every SILENCE_REPEAT_S, but at once when the publishers seen change: right
        # after start-up discovery may not have found a publisher yet, and the warning that
        # names it must not wait for the repeat.
        now = time.monotonic()
        said, said_at = self._silence_said
        if seen == said and now - said_at < SILENCE_REPEAT_S:
            return
        self._silence_said = (seen, now)
        if seen:
            hint = (f'publishers: {seen}. This subscription is best-effort and accepts them; '
                    'frames larger than the Fast DDS shared-memory segment are lost between '
                    'processes: set FASTDDS_DEFAULT_PROFILES_FILE (and, before Kilted, '
                    'FASTRTPS_DEFAULT_PROFILES_FILE) to share/pose_ros/config/fastdds.xml')
        else:
            own = (topic, self._annotated_pub.topic_name)
            others = [name for name, types in self.get_topic_names_and_types()
                      if 'sensor_msgs/msg/Image' in types and name not in own]
            hint = ('no publisher on it discovered yet. Image topics that exist: '
                    + (', '.join(others) if others else 'none')
                    + f'. Remap with: --ros-args -r {IMAGE_TOPIC}:=<topic>')
        self.get_logger().warning(f'no image on {topic} for {since:.0f} s; {hint}')

    def _report(self) -> None:
        s = self._stats.take()
        period = self._params['diagnostics_period']
        waiting = time.monotonic() - (self._last_image or self._started)
        if s.processed == 0 and waiting >= self._params['image_timeout']:
            level, text = DiagnosticStatus.WARN, f'no image for {waiting:.0f} s'
        elif s.bad:
            level, text = DiagnosticStatus.WARN, f'{s.bad} bad frame(s) in the last {period} s'
        else:
            level, text = DiagnosticStatus.OK, 'running'
        values = {
            'frames per second': f'{s.processed / period:.1f}',
            'received per second': f'{s.received / period:.1f}',
            'dropped (newer frame arrived first)': str(s.dropped),
            'dropped total': str(self._stats.dropped_total),
            'bad frames': str(s.bad),
            'conversion ms': f'{s.mean(s.convert_s):.2f}',
            'inference ms': f'{s.mean(s.infer_s):.2f}',
            'total ms': f'{s.mean(s.total_s):.2f}',
            'persons': str(s.persons),
            'model': f'{self._model_name} ({self._estimator.family})',
            'image topic': self._image_sub.topic_name,
        }
        if self._hands is not None:
            values.update({
                'hands': str(s.hands),
                'hand inference ms': f'{s.mean(s.hands_s):.2f}',
                'hand model': self._params['hands_model'],
            })
        if self._depth is not None:
            values.update({
                'depth topic': self._depth.depth_sub.topic_name,
                'keypoint messages with 3D positions': str(self._depth.positions_published),
                'keypoint messages waiting for depth': str(self._depth.waiting),
                'depth frames never paired': str(self._depth.unmatched_depth),
            })
        status = DiagnosticStatus(
            level=level, name=f'{self.get_name()}: pose estimation', message=text,
            hardware_id=self._model_name,
            values=[KeyValue(key=k, value=v) for k, v in values.items()])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics_pub.publish(array)

    def destroy_node(self) -> None:
        self._worker.stop(timeout=5.0)
        if self._depth is not None:
            self._depth.close()
        self._estimator.close()
        if self._hands is not None:
            self._hands.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    return runner.run(PoseNode, 'pose_node', args, STARTUP_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
