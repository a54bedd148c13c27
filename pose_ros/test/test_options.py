"""PoseEstimatorOptions: every value checked where it is made; ModelFamily names the families."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from pose_ros.pose.families import registered
from pose_ros.pose.options import FAMILIES, MODEL_TYPES, ModelFamily, PoseEstimatorOptions


def test_the_enum_names_exactly_the_registered_families():
    assert ModelFamily.AUTO.value == 'auto'
    assert FAMILIES == registered()
    assert MODEL_TYPES == ('auto',) + registered()


def test_model_type_parameter_choices_come_from_the_enum():
    from pose_ros.ros.pose_node import PARAMS
    param = {p.name: p for p in PARAMS}['model_type']
    assert tuple(param.choices) == tuple(f.value for f in ModelFamily)


@pytest.mark.parametrize('field, value, allowed', [
    ('model_type', 'openpose', 'allowed: auto, blazepose'),
    ('model_type', None, 'allowed: auto'),
    ('num_threads', 0, 'integer >= 1'),
    ('num_threads', 1.5, 'integer >= 1'),
    ('num_threads', True, 'integer >= 1'),
    ('max_persons', 0, 'integer >= 1'),
    ('max_persons', '3', 'integer >= 1'),
    ('min_person_score', 1.5, r'within \[0, 1\]'),
    ('min_person_score', -0.1, r'within \[0, 1\]'),
    ('min_person_score', math.nan, r'within \[0, 1\]'),
    ('smoothing', 'yes', 'True or False'),
    ('smoothing_min_cutoff', 0.0, 'finite number > 0'),
    ('smoothing_min_cutoff', math.inf, 'finite number > 0'),
    ('smoothing_beta', -1.0, 'finite number >= 0'),
    ('detector_path', 3, 'path'),
    ('delegate_path', None, 'path'),
])
def test_a_bad_value_names_the_option_and_what_is_allowed(field, value, allowed):
    with pytest.raises(ValueError, match=f'{field}.*{allowed}'):
        PoseEstimatorOptions(model_path='m.tflite', **{field: value})


def test_a_bad_model_path_is_named():
    with pytest.raises(ValueError, match='model_path must be a path'):
        PoseEstimatorOptions(model_path=None)


def test_good_values_are_kept_as_plain_values():
    options = PoseEstimatorOptions(model_path=Path('m.tflite'),
                                   model_type=ModelFamily.MOVENET_SINGLEPOSE,
                                   num_threads=np.int64(3), min_person_score=np.float32(0.25),
                                   smoothing_beta=0)
    assert options.model_path == 'm.tflite'
    # The plain string, so that messages and parameters show 'movenet_singlepose'.
    assert type(options.model_type) is str and options.model_type == 'movenet_singlepose'
    assert type(options.num_threads) is int and options.num_threads == 3
    assert type(options.min_person_score) is float and options.min_person_score == 0.25
    assert type(options.smoothing_beta) is float and options.smoothing_beta == 0.0
    assert PoseEstimatorOptions(model_path='m.tflite').min_person_score is None


def test_options_cannot_change_unchecked():
    options = PoseEstimatorOptions(model_path='m.tflite')
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.max_persons = 0
    assert dataclasses.replace(options, max_persons=2).max_persons == 2
    with pytest.raises(ValueError, match='max_persons'):
        dataclasses.replace(options, max_persons=0)
