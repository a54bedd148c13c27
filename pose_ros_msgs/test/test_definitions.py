"""The message definitions document every field, and keep their constants and defaults."""

import pathlib
import re

import pytest

MSG_DIR = pathlib.Path(__file__).resolve().parents[1] / 'msg'
FIELD = re.compile(r'^[A-Za-z_][\w/]*(\[\])?\s+[a-z_]\w*(\s+\S+)?$')


@pytest.mark.parametrize('path', sorted(MSG_DIR.glob('*.msg')), ids=lambda p: p.name)
def test_every_field_is_preceded_by_a_comment(path):
    lines = path.read_text().splitlines()
    undocumented = []
    for i, line in enumerate(lines):
        if not FIELD.match(line) or '=' in line:
            continue
        # walk back over the fields of the same group to the comment above it
        j = i - 1
        while j >= 0 and FIELD.match(lines[j]):
            j -= 1
        if j < 0 or not lines[j].startswith('#'):
            undocumented.append(line)
    assert not undocumented, f'{path.name}: fields without a comment: {undocumented}'


def test_generated_python_matches_the_definitions():
    import pose_ros_msgs.msg as msg
    names = [line.split('=')[0].split()[1]
             for line in (MSG_DIR / 'Keypoint.msg').read_text().splitlines()
             if line.startswith('uint8 ') and '=' in line]
    assert names[:17] == ['NOSE', 'LEFT_EYE', 'RIGHT_EYE', 'LEFT_EAR', 'RIGHT_EAR',
                          'LEFT_SHOULDER', 'RIGHT_SHOULDER', 'LEFT_ELBOW', 'RIGHT_ELBOW',
                          'LEFT_WRIST', 'RIGHT_WRIST', 'LEFT_HIP', 'RIGHT_HIP',
                          'LEFT_KNEE', 'RIGHT_KNEE', 'LEFT_ANKLE', 'RIGHT_ANKLE']
    assert [getattr(msg.Keypoint, n) for n in names[:17]] == list(range(17))
    fields = msg.PersonArray.get_fields_and_field_types()
    assert fields == {'header': 'std_msgs/Header', 'image_width': 'uint32',
                      'image_height': 'uint32', 'model': 'string',
                      'persons': 'sequence<pose_ros_msgs/Person>'}
    assert msg.Person.get_fields_and_field_types()['keypoints'] == \
        'sequence<pose_ros_msgs/Keypoint>'
