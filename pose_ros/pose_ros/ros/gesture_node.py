"""gesture_node: keypoints in, named gestures and safe velocity commands out."""

from __future__ import annotations

from collections.abc import Collection
import sys
import time

from geometry_msgs.msg import Twist, TwistStamped
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from pose_ros.control import (
    Command,
    FollowOptions,
    Teleop,
    TeleopLimits,
    TeleopOptions,
    UpdateResult,
    Verdict,
)
from pose_ros.core.keypoints import Pose
from pose_ros.core.throttle import KeyedThrottle
from pose_ros.gestures.language import GestureFileError, default_gestures_path, load_gestures
from pose_ros.gestures.matcher import Phase
from pose_ros.ros import params, runner
from pose_ros.ros.markers import poses_to_bodies, update_to_msg
from pose_ros.ros.messages import person_to_pose
from pose_ros.ros.stamps import RecentStamps, ns_to_seconds, stamp_to_seconds
from pose_ros.viz import MarkerUpdate, SkeletonMarkers
from pose_ros_msgs.msg import Gesture, PersonArray

PHASES = {Phase.STARTED: Gesture.STARTED, Phase.HELD: Gesture.HELD, Phase.ENDED: Gesture.ENDED}

PARAMS = (
    params.Param('gestures_file', '',
                 'The gesture language file; empty means config/gestures.yaml of this package. '
                 'A new file that does not load is refused and the old one stays.'),
    params.Param('lost_timeout', 0.5,
                 'Seconds without seeing the controlling person before a zero command.',
                 minimum=0.05, maximum=10.0),
    params.Param('max_age', 0.5,
                 'Keypoints stamped longer ago than this (s) are ignored as stale.',
                 minimum=0.01, maximum=10.0),
    params.Param('zero_window', 0.5,
                 'Seconds the zero command is repeated after control ends, then silence.',
                 minimum=0.0, maximum=5.0),
    params.Param('publish_rate', 20.0,
                 'Least command rate while engaged (Hz); each keypoints message is also '
                 'answered at once.', minimum=1.0, maximum=200.0),
    params.Param('max_linear_x', 0.5, 'Forward/backward speed limit (m/s).',
                 minimum=0.0, maximum=10.0),
    params.Param('max_linear_y', 0.3, 'Sideways speed limit (m/s).', minimum=0.0, maximum=10.0),
    params.Param('max_angular_z', 1.0, 'Turn rate limit (rad/s).', minimum=0.0, maximum=20.0),
    params.Param('max_linear_accel', 0.5, 'Linear acceleration limit while engaged (m/s^2).',
                 minimum=0.01, maximum=50.0),
    params.Param('max_angular_accel', 1.5, 'Angular acceleration limit while engaged (rad/s^2).',
                 minimum=0.01, maximum=100.0),
    params.Param('min_iou', 0.3,
                 'Box overlap that keeps following an untracked controller whose head and '
                 'torso are hidden.', minimum=0.0, maximum=1.0),
    params.Param('max_shift', 0.5,
                 'Body lengths an untracked controller may move between two sightings.',
                 minimum=0.0, maximum=10.0),
    params.Param('stamped', False,
                 'Publish geometry_msgs/TwistStamped instead of Twist (robots on Jazzy and '
                 'later often want it).', read_only=True),
    params.Param('cmd_frame_id', 'base_link', 'frame_id of TwistStamped commands.',
                 check=lambda v: None if v else 'must not be empty'),
    params.Param('follow_distance', 1.5,
                 'Follow me: the distance (m) to keep the controller at.',
                 minimum=0.3, maximum=10.0),
    params.Param('follow_min_distance', 0.8,
                 'Follow me: closer than this (m) it stops at once and following ends; '
                 'less than follow_distance.', minimum=0.2, maximum=10.0),
    params.Param('follow_gain_linear', 0.5,
                 'Follow me: forward speed (m/s) per metre beyond follow_distance.',
                 minimum=0.01, maximum=5.0),
    params.Param('follow_gain_angular', 1.0,
                 'Follow me: turn rate (rad/s) with the person at the image edge.',
                 minimum=0.01, maximum=10.0),
    params.Param('follow_calibration', 0.0,
                 "Follow me without depth: the person's body length in pixels times their "
                 'distance in metres (the refusal message says how to measure it); 0: none, '
                 'only depth gives the distance.', minimum=0.0, maximum=1.0e6),
    params.Param('publish_markers', True,
                 'Publish skeletons with 3D positions, the controller highlighted, on '
                 'pose/markers for RViz (built only while someone subscribes).'),
)

STARTUP_ERRORS = (params.ParameterError, GestureFileError)
# Persons per message the gesture matching considers, most confident first.
MAX_PERSONS = 16
# On the way out: this many zeros, this far apart (s; at most a publish period), then a wait of
# at most ACK_TIMEOUT_S for reliable subscribers to acknowledge them.
SHUTDOWN_ZEROS = 3
SHUTDOWN_ZERO_PERIOD_S = 0.05
ACK_TIMEOUT_S = 1.0
MARKERS_ACK_TIMEOUT_S = 0.2


def follow_problem(p: dict) -> str | None:
    """Say what is wrong with the follow parameters together, or None."""
    if p['follow_min_distance'] >= p['follow_distance']:
        return (f'follow_min_distance ({p["follow_min_distance"]}) must be less than '
                f'follow_distance ({p["follow_distance"]})')
    return None


def options_from(p: dict) -> TeleopOptions:
    """Build the teleop's options; ParameterError names what is wrong."""
    if (problem := follow_problem(p)) is not None:
        raise params.ParameterError(problem)
    follow = FollowOptions(distance=p['follow_distance'], min_distance=p['follow_min_distance'],
                           gain_linear=p['follow_gain_linear'],
                           gain_angular=p['follow_gain_angular'],
                           calibration=p['follow_calibration'])
    limits = TeleopLimits(
        max_linear_x=p['max_linear_x'], max_linear_y=p['max_linear_y'],
        max_angular_z=p['max_angular_z'], max_linear_accel=p['max_linear_accel'],
        max_angular_accel=p['max_angular_accel'])
    return TeleopOptions(lost_timeout=p['lost_timeout'], max_age=p['max_age'],
                         zero_window=p['zero_window'], publish_rate=p['publish_rate'],
                         min_iou=p['min_iou'], max_shift=p['max_shift'], limits=limits,
                         follow=follow)


def ignored_warning(result: UpdateResult, max_age: float) -> str:
    """Say why keypoints were ignored, and what to check."""
    if result.verdict is Verdict.UNSTAMPED:
        return ('ignored keypoints stamped 0 (unstamped: do the camera images have '
                'header.stamp 0? pose_node passes their header on)')
    why = {Verdict.FUTURE: f'stamped {-result.age_s:.3f} s in the future',
           Verdict.STALE: f'stamped {result.age_s:.3f} s ago, more than max_age {max_age} s',
           Verdict.OUT_OF_ORDER: 'older than the last ones (out of order)'}[result.verdict]
    return (f'ignored keypoints {why}: are the clocks of the machines in sync, and '
            'use_sim_time the same everywhere?')


class GestureNode(Node):
    """Follow the person who engaged, and turn their gestures into bounded commands."""

    _constructed = False  # set at the end of __init__

    def __init__(self, shared_process: Collection[str] = ()) -> None:
        super().__init__('gesture_node', **params.NODE_OPTIONS)
        self._params = params.declare(self, PARAMS, shared_process)
        self._gestures_path = self._params['gestures_file'] or default_gestures_path()
        # Monotonic time ends the zeros after a release even if ROS time stands still.
        self._teleop = Teleop(load_gestures(self._gestures_path), options_from(self._params),
                              steady_clock=time.monotonic)
        params.on_set(self, PARAMS, lambda: self._params, self._apply_params)

        self._stamped = self._params['stamped']
        # Depth 1 (reliable, volatile): only the newest command matters, and with Fast DDS it is
        # what lets the shutdown zero be acknowledged at once. A reliable reader acknowledges
        # only in answer to a HEARTBEAT; Fast DDS sends one with a sample only when the
        # writer's history is full (or a send buffer's worth of bytes has gone out), else
        # every heartbeat_period, 3 s by default. With depth 10 only every tenth command
        # carried one, so the zero usually waited up to 3 s for its acknowledgement and
        # the 1 s wait below gave up, though the reader had it within milliseconds. With
        # depth 1 every command carries one. Best-effort readers count as acknowledged once
        # the sample is sent.
        self._cmd_pub = self.create_publisher(
            TwistStamped if self._stamped else Twist, 'cmd_vel', 1)
        self._gesture_pub = self.create_publisher(Gesture, 'pose/gesture', 10)
        # Reliable: a lost delete would leave a ghost in RViz.
        self._markers_pub = self.create_publisher(MarkerArray, 'pose/markers', 10)
        self._skeletons = SkeletonMarkers()
        self._markers_header = Header()
        self._markers_at = float('-inf')  # time.monotonic() of the last keypoints drawn
        # Best effort accepts both reliable and best-effort keypoint publishers.
        self._keypoints_sub = self.create_subscription(
            PersonArray, 'pose/keypoints', self._on_keypoints, qos_profile_sensor_data)
        self._timer = self.create_timer(1.0 / self._params['publish_rate'], self._on_tick)
        # The frame and the exact stamps of the keypoints taken, for the gestures found in them.
        self._frame_id = ''
        self._stamps = RecentStamps()
        self._last_sent: Command | None = None
        self._last_sent_at = float('-inf')  # time.monotonic(): pacing must survive ROS time jumps
        self._was_engaged = False
        self._warnings = KeyedThrottle(period_s=5.0)
        names = ', '.join(self._teleop.gestures.names)
        self.get_logger().info(
            f'gestures from {self._gestures_path}: {names}; make "{self._teleop.gestures.engage}"'
            f' to take control. Commands on {self._cmd_pub.topic_name}')
        self._constructed = True

    def _now(self) -> float:
        return ns_to_seconds(self.get_clock().now().nanoseconds)

    def _apply_params(self, new: dict, changed: set[str]) -> str | None:
        try:
            options = options_from(new)
            path = new['gestures_file'] or default_gestures_path()
            gestures = load_gestures(path) if 'gestures_file' in changed else None
        except (GestureFileError, ValueError, OSError) as exc:
            return str(exc)
        if gestures is not None:
            self._teleop.set_gestures(gestures)
            self._gestures_path = path
            self.get_logger().info(f'gestures loaded from {path}: {", ".join(gestures.names)}')
        self._teleop.set_options(options)
        if not new['publish_markers']:
            self._send_markers(self._skeletons.clear())
        if new['publish_rate'] != self._params['publish_rate']:
            self.destroy_timer(self._timer)
            self._timer = self.create_timer(1.0 / new['publish_rate'], self._on_tick)
        self._params = new
        return None

    def _warn(self, key: str, message: str) -> None:
        if (text := self._warnings.due(key, message)) is not None:
            self.get_logger().warning(text)

    def _on_keypoints(self, msg: PersonArray) -> None:
        now = self._now()
        stamp = stamp_to_seconds(msg.header.stamp)
        # A crowd costs matching time on the executor: the most confident are enough.
        persons = sorted(msg.persons, key=lambda p: -p.score)[:MAX_PERSONS]
        poses = [person_to_pose(p) for p in persons]
        result = self._teleop.update(poses, stamp, now, int(msg.image_width))
        if result.accepted:
            self._frame_id = msg.header.frame_id
            self._stamps.add(msg.header.stamp)
        else:
            self._warn(result.verdict.value,
                       ignored_warning(result, self._teleop.options.max_age))
        # Act at once: on fresh keypoints (a timer alone would add up to a period of delay),
        # and on stale ones too, which may just have released control.
        self._send(self._teleop.tick(now))
        self._after_update()
        if result.accepted:
            self._draw(msg.header, poses)

    def _on_tick(self) -> None:
        # Keypoints that stopped coming (or went stale) leave no one to draw.
        if (self._skeletons.shown
                and time.monotonic() - self._markers_at > self._params['lost_timeout']):
            self._send_markers(self._skeletons.clear())
        # The timer keeps the rate steady when keypoints are slower than publish_rate or
        # stop coming, which is also when the lost-person zero has to go out.
        if time.monotonic() - self._last_sent_at < 0.9 / self._params['publish_rate']:
            return
        self._send(self._teleop.tick(self._now()))
        self._after_update()

    def _draw(self, header: Header, poses: list[Pose]) -> None:
        if not self._params['publish_markers']:
            return
        if self._markers_pub.get_subscription_count() == 0:
            self._skeletons.forget()  # nobody to draw for; RViz may hold old markers later
            return
        state = self._teleop.state
        self._markers_header = header
        self._markers_at = time.monotonic()
        self._send_markers(self._skeletons.update(
            poses_to_bodies(poses), state.controller_id, state.active_gesture))

    def _send_markers(self, update: MarkerUpdate) -> bool:
        if update.empty:
            return False
        self._markers_pub.publish(update_to_msg(update, self._markers_header))
        return True

    def _send(self, command: Command | None) -> None:
        if command is not None:
            self._publish(command)

    def _after_update(self) -> None:
        for notice in self._teleop.drain_notices():
            # One per follow gesture or change, so not throttled; a refusal is a warning.
            if 'refused' in notice:
                self.get_logger().warning(notice)
            else:
                self.get_logger().info(notice)
        for event in self._teleop.drain_events():
            msg = Gesture(name=event.name, person_id=int(event.person_id),
                          confidence=float(event.confidence), phase=PHASES[event.phase])
            msg.header.frame_id = self._frame_id
            msg.header.stamp = self._stamps.stamp(event.stamp_s)
            self._gesture_pub.publish(msg)
        state = self._teleop.state
        if state.engaged != self._was_engaged:
            self._was_engaged = state.engaged
            if state.engaged:
                self.get_logger().info(f'engaged: person {state.controller_id} has control')
            elif state.release_reason == 'keypoints unusable':
                self.get_logger().warning(
                    f'released: keypoints unusable; for {self._params["lost_timeout"]} s the '
                    'controller was seen only with keypoints no gesture can use (NaN, infinite '
                    'or below min_score): is the keypoints publisher all right? Sending zeros')
            else:
                self.get_logger().info(f'released: {state.release_reason}; sending zeros')

    def _publish(self, command: Command) -> None:
        twist = Twist()
        twist.linear.x = float(command.linear_x)
        twist.linear.y = float(command.linear_y)
        twist.angular.z = float(command.angular_z)
        if self._stamped:
            msg = TwistStamped(twist=twist)
            msg.header.stamp = self.get_clock().now().to_msg()
            msg.header.frame_id = self._params['cmd_frame_id']
            self._cmd_pub.publish(msg)
        else:
            self._cmd_pub.publish(twist)
        self._last_sent = command
        self._last_sent_at = time.monotonic()

    def destroy_node(self) -> None:
        # rclpy also destroys a node whose start-up failed half-way; it never commanded anything.
        if self._constructed:
            self._stop_robot()
            # After the zeros, which must not wait: no skeleton stays behind in RViz. Briefly
            # waited for, as the process is about to exit (see _stop_robot).
            if self._send_markers(self._skeletons.clear()):
                self._markers_pub.wait_for_all_acked(Duration(seconds=MARKERS_ACK_TIMEOUT_S))
        super().destroy_node()

    def _stop_robot(self) -> None:
        # The robot must not keep moving after we are gone: zeros while engaged or when the
        # last command moved. Not otherwise: after a release the zeros went out already, and
        # more could briefly override whoever drives now (behind twist_mux).
        engaged = self._teleop.engaged
        zero = self._teleop.shutdown(self._now())
        if not (engaged or (self._last_sent is not None and not self._last_sent.is_zero)):
            return
        # A few zeros, not the zero_window's worth: enough that a best-effort subscriber on a
        # lossy link hears one, short enough not to hold up the shutdown.
        for i in range(SHUTDOWN_ZEROS):
            if i:
                time.sleep(min(SHUTDOWN_ZERO_PERIOD_S, 1.0 / self._params['publish_rate']))
            self._publish(zero)
        # The process is about to exit: without waiting, the writer can be gone before a
        # reliable subscriber (the robot's driver) has the zeros, and the last command it holds
        # is a moving one.
        if self._cmd_pub.wait_for_all_acked(Duration(seconds=ACK_TIMEOUT_S)):
            self.get_logger().info(
                f'shutting down: {SHUTDOWN_ZEROS} zero commands sent and acknowledged')
        else:
            self.get_logger().warning(
                f'shutting down: zero commands sent but not acknowledged within {ACK_TIMEOUT_S:g}'
                f' s by every subscriber of {self._cmd_pub.topic_name}')


def main(args: list[str] | None = None) -> int:
    return runner.run(GestureNode, 'gesture_node', args, STARTUP_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
