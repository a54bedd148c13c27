from glob import glob

from setuptools import find_packages, setup

package_name = 'pose_ros'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    # The renderer's scene library travels with its package.
    package_data={'pose_ros.rendering': ['scenes/*.scene']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/config', glob('config/*.yaml') + glob('config/*.xml')),
        ('share/' + package_name + '/rviz', glob('rviz/*.rviz')),
    ],
    # Only setuptools, as in every ament_python package: numpy, OpenCV and PyYAML come from
    # rosdep (package.xml) on a distro, or tools/requirements.txt in the venv. Naming pip
    # distributions here would make the console scripts refuse to start on a distro, where
    # apt's python3-opencv does not register as opencv-python-headless.
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='pose_ros maintainers',
    maintainer_email='pose-ros@example.com',
    description='Human pose keypoints and gesture teleoperation for ROS 2.',
    license='Apache-2.0',
    tests_require=['pytest'],
    entry_points={
        'console_scripts': [
            'fetch_model = pose_ros.models.cli:main',
            'pose_node = pose_ros.ros.entry:pose_node',
            'gesture_node = pose_ros.ros.entry:gesture_node',
            'camera_node = pose_ros.ros.entry:camera_node',
            'pipeline = pose_ros.ros.entry:pipeline',
            'demo = pose_ros.ros.entry:demo',
        ],
    },
)
