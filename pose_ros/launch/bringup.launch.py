"""The whole pipeline: camera_node -> pose_node -> gesture_node -> cmd_vel.

    ros2 launch pose_ros bringup.launch.py                   # camera 0, commands on /cmd_vel
    ros2 launch pose_ros bringup.launch.py source:=clip.mp4  # a recording, looped
    ros2 launch pose_ros bringup.launch.py --show-args       # every argument, described
    ros2 launch pose_ros bringup.launch.py rviz:=true        # and RViz 2 with pose_ros.rviz
    ros2 launch pose_ros bringup.launch.py hands:=true       # and each person's hands

With a camera driver already running, and a robot listening on /robot/cmd_vel:

    ros2 launch pose_ros bringup.launch.py cmd_vel:=/robot/cmd_vel use_camera:=false
        image:=/my_cam/image_raw

Topic arguments follow ROS name rules: a relative name (the defaults) is resolved inside
``namespace``, an absolute one (leading /) is used as is.

Each node is required: when one ends (a missing model, camera or video, a bad parameter), the
launch stops the others and exits non-zero, as the pipeline cannot work without it. RViz is
not: closing its window leaves the robot's pipeline running.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable, Shutdown
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

# A path, not a substitution: --show-args prints it as the file a user can open.
CONFIG = os.path.join(get_package_share_directory('pose_ros'), 'config')
RVIZ_CONFIG = os.path.join(get_package_share_directory('pose_ros'), 'rviz', 'pose_ros.rviz')
# The topics pose_ros.rviz shows, named there as without a namespace.
RVIZ_TOPICS = ('pose/markers', 'pose/image_annotated')
PROFILE_VARS = ('FASTDDS_DEFAULT_PROFILES_FILE', 'FASTRTPS_DEFAULT_PROFILES_FILE')

# name, default, description, choices (None: any value); each becomes an argument, read with
# arg(name).
ARGUMENTS = (
    ('use_camera', 'true',
     'true: start camera_node on `source`; false: pose_node reads an existing `image` topic.',
     ['true', 'false']),
    ('source', '0',
     ("camera_node's source: a V4L2 index or /dev/videoN, a video file, a folder of images "
      'or a .gif (recordings are replayed at their own rate).'), None),
    ('image', 'camera/image_raw',
     'Image topic pose_node reads; camera_node publishes there (and camera_info beside it).',
     None),
    ('model', 'blazepose_full', 'Pose model: a name from `fetch_model list` or a .tflite path.',
     None),
    ('hands', 'false',
     ("true: pose_node also finds each person's hands (21 keypoints each, in Person.hands); "
      'it costs a hand model run per visible hand.'),
     ['true', 'false']),
    ('camera_params', os.path.join(CONFIG, 'camera_node.yaml'),
     'Parameters file of camera_node.', None),
    ('pose_params', os.path.join(CONFIG, 'pose_node.yaml'),
     'Parameters file of pose_node.', None),
    ('gesture_params', os.path.join(CONFIG, 'gesture_node.yaml'),
     'Parameters file of gesture_node.', None),
    ('gestures_file', os.path.join(CONFIG, 'gestures.yaml'),
     'The gesture language file gesture_node loads.', None),
    ('cmd_vel', 'cmd_vel', 'Topic the velocity commands go to (your robot).', None),
    ('namespace', '', 'Namespace of all nodes and of their relative topics.', None),
    ('log_level', 'info', 'Log level of all nodes.', ['debug', 'info', 'warn', 'error', 'fatal']),
    ('rviz', 'false',
     ('true: also start rviz2 with share/pose_ros/rviz/pose_ros.rviz (skeletons on '
      'pose/markers need pose_node use_depth, the image its publish_annotated).'),
     ['true', 'false']),
)


def arg(name: str) -> LaunchConfiguration:
    return LaunchConfiguration(name)


def text(name: str) -> ParameterValue:
    """Keep a parameter a string: source '0' must not become the integer 0."""
    return ParameterValue(arg(name), value_type=str)


def stop_launch(context: LaunchContext) -> list:
    """End the launch when a node has ended: with an error (exit non-zero) when it failed.

    Why not just Shutdown(): it ends the launch with exit 0, and a script or a service manager
    starting the launch would not know that it failed. An error raised in an action is how
    launch exits non-zero (all distros since Foxy), after stopping the other processes.
    """
    event = context.locals.event
    if event.returncode == 0 and context.is_shutdown:  # stopped by the launch, e.g. Ctrl-C
        return []
    if event.returncode != 0:
        raise RuntimeError(f'{event.process_name} exited with code {event.returncode}; the '
                           'pipeline cannot work without it, so the launch stops')
    return [Shutdown(reason=f'{event.process_name} ended')]


def shared_memory_profile() -> list:
    """Point Fast DDS at our profile, unless the user already chose one.

    Camera frames are larger than Fast DDS's default 512 KB shared-memory segment. Fast DDS 2
    (Humble, Jazzy) reads FASTRTPS_DEFAULT_PROFILES_FILE, Fast DDS 3 (Kilted on) reads both
    names and rejects a profile given twice, so exactly one is set.
    """
    if any(os.environ.get(v) for v in PROFILE_VARS):
        return []
    old = os.environ.get('ROS_DISTRO', '') in ('humble', 'iron', 'jazzy')
    return [SetEnvironmentVariable(PROFILE_VARS[1] if old else PROFILE_VARS[0],
                                   os.path.join(CONFIG, 'fastdds.xml'))]


def in_namespace(topic: str) -> PythonExpression:
    """Resolve relative ``topic`` inside the ``namespace`` argument, as the nodes do."""
    return PythonExpression(
        ["'/' + '/'.join(s for s in ('", arg('namespace'), f"'.strip('/'), '{topic}') if s)"])


def generate_launch_description() -> LaunchDescription:
    # camera_info is the image topic's sibling: /my_cam/image_raw -> /my_cam/camera_info.
    camera_info = PythonExpression(
        ["'/'.join('", arg('image'), "'.split('/')[:-1] + ['camera_info'])"])

    def common() -> dict:
        return {'namespace': arg('namespace'), 'output': 'screen',
                'arguments': ['--ros-args', '--log-level', arg('log_level')],
                'on_exit': [OpaqueFunction(function=stop_launch)]}

    return LaunchDescription([
        *(DeclareLaunchArgument(name, default_value=default, description=description,
                                choices=choices)
          for name, default, description, choices in ARGUMENTS),
        *shared_memory_profile(),
        Node(package='pose_ros', executable='camera_node', name='camera_node',
             condition=IfCondition(arg('use_camera')),
             parameters=[arg('camera_params'), {'source': text('source')}],
             remappings=[('camera/image_raw', arg('image')),
                         ('camera/camera_info', camera_info)],
             **common()),
        Node(package='pose_ros', executable='pose_node', name='pose_node',
             parameters=[arg('pose_params'), {'model': text('model'),
                                              'hands': ParameterValue(arg('hands'),
                                                                      value_type=bool)}],
             remappings=[('camera/image_raw', arg('image'))],
             **common()),
        Node(package='pose_ros', executable='gesture_node', name='gesture_node',
             parameters=[arg('gesture_params'), {'gestures_file': text('gestures_file')}],
             remappings=[('cmd_vel', arg('cmd_vel'))],
             **common()),
        Node(package='rviz2', executable='rviz2', name='rviz2', output='screen',
             condition=IfCondition(arg('rviz')), arguments=['-d', RVIZ_CONFIG],
             remappings=[('/' + t, in_namespace(t)) for t in RVIZ_TOPICS]),
    ])
