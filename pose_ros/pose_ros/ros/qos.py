"""The QoS camera images travel with."""

from rclpy.qos import QoSHistoryPolicy, QoSProfile, qos_profile_sensor_data


def newest_frame_only() -> QoSProfile:
    """Sensor-data QoS (best effort, volatile) keeping only the newest frame.

    rclpy's sensor-data profile keeps 5: a subscriber slower than the camera would work
    through old frames, and a publisher would hold them. One is what a live image wants.
    """
    p = qos_profile_sensor_data
    return QoSProfile(history=QoSHistoryPolicy.KEEP_LAST, depth=1,
                      reliability=p.reliability, durability=p.durability)
