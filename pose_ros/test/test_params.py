"""params.declare and params.on_set: start-up checks in-process, ``ros2 param`` over real DDS."""

import subprocess

from conftest import RosTestNode, executable
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import DescribeParameters, GetParameters, SetParameters
from rclpy.node import Node

from pose_ros.ros import params

GESTURE_NODE = executable('gesture_node')
DOUBLE, STRING = ParameterType.PARAMETER_DOUBLE, ParameterType.PARAMETER_STRING
FLOAT = 'a floating-point number (write 1.0, not 1)'
TABLE = (
    params.Param('speed', 0.5, 'A limit.', minimum=0.0, maximum=2.0),
    params.Param('name', 'base', 'A frame.'),
)


def make_node(context, *ros_args: str) -> Node:
    return Node('params_tester', context=context, cli_args=['--ros-args', *ros_args],
                **params.NODE_OPTIONS)


def test_given_values_are_declared_with_their_descriptors(rclpy_context):
    node = make_node(rclpy_context, '-p', 'speed:=1.5')
    try:
        assert params.declare(node, TABLE) == {'speed': 1.5, 'name': 'base'}
        assert node.describe_parameter('speed').type == DOUBLE
        assert 'from 0.0 to 2.0' in node.describe_parameter('speed').additional_constraints
    finally:
        node.destroy_node()


@pytest.mark.parametrize('given, expected', [
    ('speed:=1', "parameter 'speed' = 1 is an integer; speed takes " + FLOAT),
    ('speed:=abc', "parameter 'speed' = 'abc' has the wrong type; speed takes " + FLOAT),
    ('speed:=3.0', "parameter 'speed' = 3.0 is out of range; use " + FLOAT + ' from 0.0 to 2.0'),
])
def test_a_bad_value_at_start_up_says_what_to_write(rclpy_context, given, expected):
    node = make_node(rclpy_context, '-p', given)
    try:
        with pytest.raises(params.ParameterError) as error:
            params.declare(node, TABLE)
        assert str(error.value) == expected
    finally:
        node.destroy_node()


def test_an_unknown_parameter_is_refused_and_another_nodes_is_not_kept(rclpy_context):
    node = make_node(rclpy_context, '-p', 'sped:=1.0', '-p', 'fps:=5.0')
    try:
        with pytest.raises(params.ParameterError, match="params_tester has no parameter 'sped'; "
                           'its parameters are: name, speed'):
            params.declare(node, TABLE, shared_process={'fps'})
    finally:
        node.destroy_node()
    node = make_node(rclpy_context, '-p', 'fps:=5.0')
    try:
        params.declare(node, TABLE, shared_process={'fps'})
        assert not node.has_parameter('fps'), 'a parameter of another node in the process'
    finally:
        node.destroy_node()


@pytest.mark.parametrize('name', ['camera_node', 'pose_node', 'gesture_node'])
def test_every_node_refuses_a_misspelt_parameter(name):
    run = subprocess.run([executable(name), '--ros-args', '-p', 'frame_rat:=30.0'],
                         capture_output=True, text=True, timeout=30)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert f"{name} has no parameter 'frame_rat'" in out, out


def test_a_wrong_type_at_start_up_ends_in_one_fatal_line():
    run = subprocess.run([GESTURE_NODE, '--ros-args', '-p', 'max_linear_x:=1'],
                         capture_output=True, text=True, timeout=30)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "parameter 'max_linear_x' = 1 is an integer" in out and 'write 1.0, not 1' in out, out
    assert 'Traceback' not in out and len(out.strip().splitlines()) == 1, out


class ParamClient(RosTestNode):
    """What ``ros2 param set/get/describe`` do, as service calls on /gesture_node."""

    def call(self, srv_type, service: str, request):
        client = self.node.create_client(srv_type, f'/gesture_node/{service}')
        assert self.spin_until(client.service_is_ready, 20.0), f'no {service} service'
        future = client.call_async(request)
        assert self.spin_until(future.done, 10.0), f'{service} did not answer'
        return future.result()

    def set(self, name: str, value: ParameterValue):
        return self.call(SetParameters, 'set_parameters', SetParameters.Request(
            parameters=[Parameter(name=name, value=value)])).results[0]

    def type_and_value(self, name: str) -> tuple[int, float]:
        described = self.call(DescribeParameters, 'describe_parameters',
                              DescribeParameters.Request(names=[name])).descriptors[0]
        value = self.call(GetParameters, 'get_parameters',
                          GetParameters.Request(names=[name])).values[0]
        return described.type, value.double_value


def test_a_refused_set_of_another_type_keeps_the_declared_type(rclpy_context, peer):
    proc = peer([GESTURE_NODE])
    client = ParamClient(rclpy_context, 'param_client')
    try:
        assert client.type_and_value('max_linear_x') == (DOUBLE, 0.5), proc.stop()
        wrong = [ParameterValue(type=STRING, string_value='abc'),
                 ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=1)]
        for value, words in zip(wrong, ("= 'abc' has the wrong type", '= 1 is an integer')):
            result = client.set('max_linear_x', value)
            assert not result.successful
            if hasattr(Node, 'add_pre_set_parameters_callback'):  # Iron on
                expected = f"parameter 'max_linear_x' {words}; max_linear_x takes {FLOAT}"
                assert result.reason == expected
            else:  # Humble: rclpy refuses it before any callback
                assert "expected 'Type.DOUBLE'" in result.reason, result.reason
            assert client.type_and_value('max_linear_x') == (DOUBLE, 0.5), \
                f'after a refused set of {value}'
        assert client.set('max_linear_x', ParameterValue(type=DOUBLE, double_value=0.2)).successful
        assert client.type_and_value('max_linear_x') == (DOUBLE, 0.2)
    finally:
        client.close()
