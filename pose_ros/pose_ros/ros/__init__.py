"""The ROS 2 glue: nodes, parameters, QoS, message conversion, and running them.

Only this folder imports rclpy. Nothing is imported here eagerly, so that starting one node
does not load the others.
"""
