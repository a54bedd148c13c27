"""Start pose_node and gesture_node with the parameters files from config/.

Usage: ``ros2 launch pose_ros bringup.launch.py image:=/my_cam/image_raw cmd_vel:=/robot/cmd_vel``
"""

import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

CONFIG = PathJoinSubstitution([FindPackageShare('pose_ros'), 'config'])
PROFILE_VARS = ('FASTDDS_DEFAULT_PROFILES_FILE', 'FASTRTPS_DEFAULT_PROFILES_FILE')


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
                                   PathJoinSubstitution([CONFIG, 'fastdds.xml']))]


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument('image', default_value='/camera/image_raw',
                              description='Image topic pose_node reads.'),
        DeclareLaunchArgument('cmd_vel', default_value='/cmd_vel',
                              description='Topic the velocity commands go to (your robot).'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='Namespace for both nodes and their relative topics.'),
        DeclareLaunchArgument('model', default_value='blazepose_full',
                              description='Model name (fetch_model list) or .tflite path.'),
        DeclareLaunchArgument('pose_params',
                              default_value=PathJoinSubstitution([CONFIG, 'pose_node.yaml']),
                              description='Parameters file of pose_node.'),
        DeclareLaunchArgument('gesture_params',
                              default_value=PathJoinSubstitution([CONFIG, 'gesture_node.yaml']),
                              description='Parameters file of gesture_node.'),
        DeclareLaunchArgument('gestures_file',
                              default_value=PathJoinSubstitution([CONFIG, 'gestures.yaml']),
                              description='The gesture language file gesture_node loads.'),
        DeclareLaunchArgument('log_level', default_value='info',
                              description='debug, info, warn, error or fatal.'),
    ]
    log = ['--ros-args', '--log-level', LaunchConfiguration('log_level')]
    return LaunchDescription([
        *arguments,
        *shared_memory_profile(),
        Node(package='pose_ros', executable='pose_node', name='pose_node',
             namespace=LaunchConfiguration('namespace'), output='screen',
             parameters=[LaunchConfiguration('pose_params'),
                         {'model': LaunchConfiguration('model')}],
             remappings=[('camera/image_raw', LaunchConfiguration('image'))],
             arguments=log),
        Node(package='pose_ros', executable='gesture_node', name='gesture_node',
             namespace=LaunchConfiguration('namespace'), output='screen',
             parameters=[LaunchConfiguration('gesture_params'),
                         {'gestures_file': LaunchConfiguration('gestures_file')}],
             remappings=[('cmd_vel', LaunchConfiguration('cmd_vel'))],
             arguments=log),
    ])
