"""The shipped parameter files are exactly what the nodes declare, with the same defaults."""

import importlib
import pathlib

import pytest
import yaml

CONFIG = pathlib.Path(__file__).resolve().parents[1] / 'config'
NODES = ['pose_node', 'gesture_node', 'camera_node']


@pytest.mark.parametrize('node', NODES)
def test_config_matches_the_declared_parameters(node):
    module = importlib.import_module(f'pose_ros.ros.{node}')
    table = {p.name: p for p in module.PARAMS}
    data = yaml.safe_load((CONFIG / f'{node}.yaml').read_text())
    assert list(data) == [node], f'{node}.yaml must hold only {node}: ros__parameters:'
    values = data[node]['ros__parameters']
    assert set(values) == set(table), 'the file and the node disagree on the parameter names'
    for name, value in values.items():
        assert table[name].problem(value) is None, f'{name}: {value!r} is not valid'
        default = table[name].default
        assert value == default, f'{name}: file says {value!r}, node defaults to {default!r}'
