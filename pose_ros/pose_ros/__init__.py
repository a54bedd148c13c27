"""Steer a robot with your body: pose estimation and gesture control for ROS 2."""
