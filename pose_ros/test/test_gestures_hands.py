"""The close-range example file: each hand gesture fires on its hand shape and on no other."""

from pathlib import Path

from hand_shapes import (
    AWAY,
    DOWN,
    PERSON_LEFT,
    PERSON_RIGHT,
    SHAPES,
    TO_CAMERA,
    UP,
    HandView,
    person,
)
import pytest

from pose_ros.core.hand import Handedness
from pose_ros.gestures.features import compute_features
from pose_ros.gestures.language import load_gestures
from pose_ros.gestures.matcher import PersonMatcher, Phase

HANDS_FILE = Path(__file__).resolve().parents[1] / 'config' / 'gestures_hands.yaml'
GESTURES = load_gestures(HANDS_FILE)
LEFT, RIGHT = Handedness.LEFT, Handedness.RIGHT
INWARD = {RIGHT: PERSON_LEFT, LEFT: PERSON_RIGHT}
OUTWARD = {RIGHT: PERSON_RIGHT, LEFT: PERSON_LEFT}


def _both(shape, views):
    return [HandView(side, SHAPES[shape], *view(side)) for side in Handedness for view in views]


# Each hand gesture and the hands that make it: (fingers, palm) per side.
CASES = {
    'stop': _both('open_palm', [lambda s: (UP, TO_CAMERA)]),
    'engage': _both('thumbs_up', [lambda s: (INWARD[s], AWAY), lambda s: (TO_CAMERA, INWARD[s])]),
    'hold_still': _both('fist', [lambda s: (UP, TO_CAMERA), lambda s: (UP, AWAY),
                                 lambda s: (UP, INWARD[s]), lambda s: (TO_CAMERA, INWARD[s])]),
    'turn_left': [HandView(RIGHT, SHAPES['pointing'], PERSON_RIGHT, DOWN),
                  HandView(RIGHT, SHAPES['pointing'], PERSON_RIGHT, TO_CAMERA)],
    'turn_right': [HandView(LEFT, SHAPES['pointing'], PERSON_LEFT, DOWN),
                   HandView(LEFT, SHAPES['pointing'], PERSON_LEFT, TO_CAMERA)],
}


def _true(pose) -> set[str]:
    """Gestures whose conditions hold on ``pose`` (not latched)."""
    return {g.name for g in GESTURES.gestures
            if g.evaluate(compute_features(pose, g.min_score), latched=False) is True}


def test_the_file_has_the_roles_and_every_hand_gesture_is_covered():
    assert (GESTURES.engage, GESTURES.disengage) == ('engage', 'stop')
    with_hands = {g.name for g in GESTURES.gestures if g.hand_points}
    assert with_hands == set(CASES)
    assert GESTURES.get('hold_still').command == {'linear_x': 0.0, 'angular_z': 0.0}
    assert GESTURES.get('hold_still').priority > max(
        GESTURES.get(n).priority for n in ('turn_left', 'turn_right', 'forward', 'back'))


@pytest.mark.parametrize('roll', [0.0, 30.0, -30.0])
@pytest.mark.parametrize('gesture, index', [(g, i) for g, views in CASES.items()
                                            for i in range(len(views))])
def test_each_hand_gesture_fires_on_its_shape_and_no_other(gesture, index, roll):
    view = CASES[gesture][index]
    assert _true(person(view, roll=roll)) == {gesture}, (view.side, view.fingers, view.palm)


@pytest.mark.parametrize('side', list(Handedness))
def test_no_hand_gesture_from_other_shapes_or_hands_held_low(side):
    shapes = ['open_palm', 'fist', 'thumbs_up', 'pointing', 'pinch']
    for name in shapes:
        # Hanging at the side, fingers down: nothing, whatever the shape.
        low = person(HandView(side, SHAPES[name], DOWN, TO_CAMERA), lowered=(side,))
        assert _true(low) == set(), name
    # A raised open hand seen from the back or the side is no stop; a pinch is nothing.
    for view in (HandView(side, SHAPES['open_palm'], UP, AWAY),
                 HandView(side, SHAPES['open_palm'], UP, OUTWARD[side]),
                 HandView(side, SHAPES['pinch'], UP, TO_CAMERA)):
        assert _true(person(view)) == set(), (view.shape, view.palm)
    # Pointing up is neither turn.
    assert _true(person(HandView(side, SHAPES['pointing'], UP, TO_CAMERA))) == set()


def test_without_hands_the_hand_gestures_are_unknown_not_false():
    fs = compute_features(person(), 0.3)
    for name in ('hold_still', 'turn_left', 'turn_right'):
        assert GESTURES.get(name).evaluate(fs, latched=False) is None
    # The body alternatives still decide stop and engage: their arms are not crossed or up.
    assert GESTURES.get('stop').evaluate(fs, latched=False) is not True


def _run(views, seconds: float, fps: float = 10.0):
    matcher = PersonMatcher(GESTURES)
    events = []
    for i in range(int(seconds * fps) + 1):
        events += [(e.name, e.phase, round(i / fps, 3))
                   for e in matcher.update(person(*views), i / fps)]
    return matcher, events


def test_a_thumbs_up_engages_after_its_hold_and_a_point_turns_toward_it():
    thumbs = HandView(RIGHT, SHAPES['thumbs_up'], PERSON_LEFT, AWAY)
    _, events = _run([thumbs], 1.2)
    assert [e for e in events if e[1] is Phase.STARTED] == [('engage', Phase.STARTED, 1.0)]
    point = HandView(RIGHT, SHAPES['pointing'], PERSON_RIGHT, DOWN)
    matcher, events = _run([point], 0.6)
    assert ('turn_left', Phase.STARTED, 0.4) in events
    # Pointing to the person's right: the robot turns to its left (positive), at full speed.
    assert matcher.matchers['turn_left'].axes['angular_z'] == pytest.approx(0.5)
    # No hands seen: no gesture ever starts.
    _, events = _run([], 1.2)
    assert events == []
