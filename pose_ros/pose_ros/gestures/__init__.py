"""Gestures: features of a person's own body, the gesture language, and matching over time."""

from pose_ros.gestures.features import FeatureError, FeatureSet, compute_features
from pose_ros.gestures.language import (
    Gesture,
    GestureFileError,
    GestureSet,
    default_gestures_path,
    load_gestures,
    parse_gestures,
)
from pose_ros.gestures.matcher import (
    GestureEvent,
    GestureMatcher,
    MatchEvent,
    PersonMatcher,
    Phase,
)
from pose_ros.gestures.recognizer import GestureRecognizer

__all__ = ['FeatureError', 'FeatureSet', 'Gesture', 'GestureEvent', 'GestureFileError',
           'GestureMatcher', 'GestureRecognizer',
           'GestureSet', 'MatchEvent', 'PersonMatcher', 'Phase', 'compute_features',
           'default_gestures_path', 'load_gestures', 'parse_gestures']
