"""Model registry, resumable verified downloads against a local server, and the CLI."""

import dataclasses
import hashlib
import http.server
import io
import os
from pathlib import Path
import random
import re
import threading
import zipfile

import pytest

from pose_ros.models import download, registry
from pose_ros.models.cli import main
from pose_ros.models.download import ChecksumError, DownloadError, download_file, fetch_model
from pose_ros.models.registry import (
    REGISTRY,
    ModelFile,
    ModelNotFoundError,
    ModelSpec,
    UnknownModelError,
    resolve_model,
)

PAYLOAD = b'\x1c\x00\x00\x00TFL3' + random.Random(0).randbytes(300_000)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _State:
    def __init__(self):
        self.files = {'/model.tflite': PAYLOAD, '/page.tflite': b'<html>moved</html>' * 10}
        self.honour_range = True
        self.cut_after = None  # Close the connection after this many body bytes.
        self.served = 0
        self.ranges = []


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        st = self.server.state
        rng = self.headers.get('Range')
        st.ranges.append(rng)
        data = st.files.get(self.path.split('?')[0])
        if data is None:
            self.send_error(404, 'Not Found')
            return
        start = 0
        if rng and st.honour_range:
            start = int(re.fullmatch(r'bytes=(\d+)-', rng).group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header('Content-Range', f'bytes */{len(data)}')
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            self.send_response(206)
            self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if st.cut_after is not None:
            body = body[:st.cut_after]
            self.close_connection = True
        # Counted before sending: once written, the client may finish (and the test check
        # the count) before this thread runs another line.
        st.served += len(body)
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    httpd.state = _State()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', httpd.state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    for var in ('http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('POSE_ROS_MODELS', str(tmp_path / 'cache'))


def test_fresh_download_is_verified_and_installed(server, tmp_path):
    base, st = server
    dest = tmp_path / 'm.tflite'
    out = io.StringIO()
    digest = download_file(f'{base}/model.tflite', dest, PAYLOAD_SHA, len(PAYLOAD), stream=out)
    assert digest == PAYLOAD_SHA
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / 'm.tflite.part').exists()
    assert st.served == len(PAYLOAD) and st.ranges == [None]
    text = out.getvalue()
    assert '\r' not in text and '100.0%' in text and 'MB/s' in text


def test_progress_redraws_one_line_on_a_terminal(server, tmp_path):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    download_file(f'{server[0]}/model.tflite', tmp_path / 'm.tflite', stream=out)
    assert out.getvalue().startswith('\r') and out.getvalue().count('\n') <= 2


def test_checksum_mismatch_deletes_and_reports_both_digests(server, tmp_path):
    dest = tmp_path / 'm.tflite'
    wrong = '0' * 64
    with pytest.raises(ChecksumError) as err:
        download_file(f'{server[0]}/model.tflite', dest, wrong, stream=io.StringIO())
    assert wrong in str(err.value) and PAYLOAD_SHA in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_size_mismatch_deletes(server, tmp_path):
    with pytest.raises(ChecksumError, match=f'expected 10 bytes, got {len(PAYLOAD)}'):
        download_file(f'{server[0]}/model.tflite', tmp_path / 'm.tflite', None, 10,
                      stream=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_resume_requests_and_receives_only_the_rest(server, tmp_path):
    base, st = server
    dest = tmp_path / 'm.tflite'
    (tmp_path / 'm.tflite.part').write_bytes(PAYLOAD[:100_000])
    download_file(f'{base}/model.tflite', dest, PAYLOAD_SHA, len(PAYLOAD), stream=io.StringIO())
    assert st.ranges == ['bytes=100000-']
    assert st.served == len(PAYLOAD) - 100_000
    assert dest.read_bytes() == PAYLOAD


def test_interrupted_download_keeps_part_and_resumes(server, tmp_path):
    base, st = server
    dest = tmp_path / 'm.tflite'
    st.cut_after = 70_000
    with pytest.raises(DownloadError, match='resume'):
        download_file(f'{base}/model.tflite', dest, PAYLOAD_SHA, stream=io.StringIO())
    assert (tmp_path / 'm.tflite.part').stat().st_size == 70_000
    assert not dest.exists()
    st.cut_after = None
    download_file(f'{base}/model.tflite', dest, PAYLOAD_SHA, stream=io.StringIO())
    assert st.ranges == [None, 'bytes=70000-']
    assert st.served == len(PAYLOAD)
    assert dest.read_bytes() == PAYLOAD


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    base, st = server
    st.honour_range = False
    dest = tmp_path / 'm.tflite'
    (tmp_path / 'm.tflite.part').write_bytes(PAYLOAD[:100_000])
    download_file(f'{base}/model.tflite', dest, PAYLOAD_SHA, stream=io.StringIO())
    assert st.ranges == ['bytes=100000-']
    assert st.served == len(PAYLOAD)
    assert dest.read_bytes() == PAYLOAD


def test_stale_part_from_another_file_is_discarded_once(server, tmp_path):
    base, st = server
    dest = tmp_path / 'm.tflite'
    (tmp_path / 'm.tflite.part').write_bytes(b'\x00' * 100_000)
    out = io.StringIO()
    download_file(f'{base}/model.tflite', dest, PAYLOAD_SHA, stream=out)
    assert dest.read_bytes() == PAYLOAD
    assert st.ranges == ['bytes=100000-', None]
    assert 'starting over' in out.getvalue()


def test_complete_part_is_not_requested_again(server, tmp_path):
    base, st = server
    (tmp_path / 'm.tflite.part').write_bytes(PAYLOAD)
    download_file(f'{base}/model.tflite', tmp_path / 'm.tflite', PAYLOAD_SHA, len(PAYLOAD),
                  stream=io.StringIO())
    assert st.ranges == []


def test_part_longer_than_file_gets_416_and_restarts(server, tmp_path):
    base, st = server
    (tmp_path / 'm.tflite.part').write_bytes(PAYLOAD + b'extra')
    download_file(f'{base}/model.tflite', tmp_path / 'm.tflite', PAYLOAD_SHA,
                  stream=io.StringIO())
    assert st.ranges == [f'bytes={len(PAYLOAD) + 5}-', None]
    assert (tmp_path / 'm.tflite').read_bytes() == PAYLOAD


def test_unknown_checksum_prints_digest(server, tmp_path):
    out = io.StringIO()
    download_file(f'{server[0]}/model.tflite', tmp_path / 'm.tflite', None, stream=out)
    assert PAYLOAD_SHA in out.getvalue() and 'not pinned' in out.getvalue()


def test_error_page_is_not_installed_as_a_model(server, tmp_path):
    with pytest.raises(ChecksumError, match='not a TFLite model'):
        download_file(f'{server[0]}/page.tflite', tmp_path / 'm.tflite', stream=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_reported(server, tmp_path):
    with pytest.raises(DownloadError, match='HTTP 404'):
        download_file(f'{server[0]}/missing.tflite', tmp_path / 'm.tflite',
                      stream=io.StringIO())


def test_unreachable_host_is_reported(tmp_path):
    with pytest.raises(DownloadError, match='127.0.0.1:9'):
        download_file('http://127.0.0.1:9/x.tflite', tmp_path / 'm.tflite', timeout=5,
                      stream=io.StringIO())


def _register(monkeypatch, spec: ModelSpec) -> None:
    monkeypatch.setitem(REGISTRY, spec.name, spec)


def test_fetch_falls_back_to_mirror_and_skips_verified_files(server, monkeypatch, tmp_path):
    base, st = server
    _register(monkeypatch, ModelSpec('local', 'test model', 'movenet', (
        ModelFile('local.tflite', f'{base}/gone.tflite', PAYLOAD_SHA, len(PAYLOAD),
                  'Apache-2.0', mirrors=(f'{base}/model.tflite',)),)))
    out = io.StringIO()
    model = fetch_model('local', tmp_path, stream=out)
    assert Path(model.model_path).read_bytes() == PAYLOAD
    assert model.family == 'movenet' and model.detector_path == ''
    assert 'HTTP 404' in out.getvalue()
    served = st.served
    out = io.StringIO()
    fetch_model('local', tmp_path, stream=out)
    assert st.served == served
    assert 'already' in out.getvalue() and 'verified' in out.getvalue()


def test_fetch_replaces_a_corrupt_cached_file(server, monkeypatch, tmp_path):
    base, _ = server
    _register(monkeypatch, ModelSpec('local', 'test model', 'movenet', (
        ModelFile('local.tflite', f'{base}/model.tflite', PAYLOAD_SHA, None, 'Apache-2.0'),)))
    (tmp_path / 'local.tflite').write_bytes(PAYLOAD[:-1] + b'!')
    fetch_model('local', tmp_path, stream=io.StringIO())
    assert (tmp_path / 'local.tflite').read_bytes() == PAYLOAD


def test_fetch_reports_every_failed_source(server, monkeypatch, tmp_path):
    base, _ = server
    _register(monkeypatch, ModelSpec('local', 'test model', 'movenet', (
        ModelFile('local.tflite', f'{base}/a.tflite', None, None, 'Apache-2.0',
                  mirrors=(f'{base}/b.tflite',)),)))
    with pytest.raises(DownloadError, match='a.tflite.*b.tflite'):
        fetch_model('local', tmp_path, stream=io.StringIO())


LANDMARK = b'\x1c\x00\x00\x00TFL3landmark' * 1000
DETECTOR = b'\x1c\x00\x00\x00TFL3detector' * 700


def _fake_blazepose(monkeypatch, landmark_sha=None) -> None:
    real = REGISTRY['blazepose_full']
    lm, det = real.files
    files = (dataclasses.replace(lm, sha256=landmark_sha or hashlib.sha256(LANDMARK).hexdigest(),
                                 size=len(LANDMARK)),
             dataclasses.replace(det, sha256=hashlib.sha256(DETECTOR).hexdigest(),
                                 size=len(DETECTOR)))
    _register(monkeypatch, dataclasses.replace(real, files=files))


class _FakeWheelGetter:
    def __init__(self, members: dict):
        self.members = members
        self.calls = []

    def __call__(self, requirement: str, directory: Path) -> Path:
        self.calls.append((requirement, directory))
        wheel = directory / 'mediapipe-0.10.21-cp312-cp312-manylinux_2_28_x86_64.whl'
        with zipfile.ZipFile(wheel, 'w') as zf:
            zf.writestr('mediapipe/__init__.py', '')
            for name, data in self.members.items():
                zf.writestr(name, data)
        return wheel


_LM_MEMBER = 'mediapipe/modules/pose_landmark/pose_landmark_full.tflite'
_DET_MEMBER = 'mediapipe/modules/pose_detection/pose_detection.tflite'


def test_blazepose_is_extracted_from_the_wheel_and_the_wheel_deleted(monkeypatch, tmp_path):
    _fake_blazepose(monkeypatch)
    getter = _FakeWheelGetter({_LM_MEMBER: LANDMARK, _DET_MEMBER: DETECTOR})
    model = fetch_model('blazepose_full', tmp_path, wheel_getter=getter, stream=io.StringIO())
    assert [c[0] for c in getter.calls] == ['mediapipe==0.10.21']
    assert not getter.calls[0][1].exists(), 'wheel directory left behind'
    assert model.family == 'blazepose'
    assert Path(model.model_path) == tmp_path / 'pose_landmark_full.tflite'
    assert Path(model.detector_path) == tmp_path / 'pose_detection.tflite'
    assert Path(model.model_path).read_bytes() == LANDMARK
    assert Path(model.detector_path).read_bytes() == DETECTOR
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'pose_detection.tflite', 'pose_landmark_full.tflite']
    # Second fetch: both verified in place, pip is not run again.
    fetch_model('blazepose_full', tmp_path, wheel_getter=getter, stream=io.StringIO())
    assert len(getter.calls) == 1


def test_blazepose_wheel_with_wrong_content_is_rejected(monkeypatch, tmp_path):
    _fake_blazepose(monkeypatch, landmark_sha='f' * 64)
    getter = _FakeWheelGetter({_LM_MEMBER: LANDMARK, _DET_MEMBER: DETECTOR})
    with pytest.raises(ChecksumError, match='f' * 64):
        fetch_model('blazepose_full', tmp_path, wheel_getter=getter, stream=io.StringIO())
    assert not (tmp_path / 'pose_landmark_full.tflite').exists()
    assert not (tmp_path / 'pose_landmark_full.tflite.part').exists()


def test_blazepose_wheel_missing_member_is_named(monkeypatch, tmp_path):
    _fake_blazepose(monkeypatch)
    getter = _FakeWheelGetter({_LM_MEMBER: LANDMARK})
    with pytest.raises(DownloadError, match=_DET_MEMBER):
        fetch_model('blazepose_full', tmp_path, wheel_getter=getter, stream=io.StringIO())


def test_pip_failure_is_one_clear_error(monkeypatch, tmp_path):
    class Proc:
        returncode = 1
        stdout = 'Collecting mediapipe==0.10.21\nERROR: No matching distribution found'

    monkeypatch.setattr(download.subprocess, 'run', lambda cmd, **kw: Proc())
    with pytest.raises(DownloadError, match='exit 1.*No matching distribution'):
        download.pip_download_wheel('mediapipe==0.10.21', tmp_path)


NETWORK = 'downloads the 36 MB mediapipe wheel from PyPI; set POSE_ROS_NETWORK_TESTS=1 to run'


@pytest.mark.skipif(os.environ.get('POSE_ROS_NETWORK_TESTS') != '1', reason=NETWORK)
def test_real_blazepose_fetch_from_pypi(tmp_path):
    model = fetch_model('blazepose_full', tmp_path, stream=io.StringIO())
    for path, f in zip((model.model_path, model.detector_path),
                       REGISTRY['blazepose_full'].files, strict=True):
        assert download.sha256_of(path) == f.sha256


def test_registry_is_consistent():
    assert registry.DEFAULT_MODEL in REGISTRY
    for name, spec in REGISTRY.items():
        assert spec.name == name and spec.files and spec.family
        for f in spec.files:
            assert f.sha256 is None or re.fullmatch(r'[0-9a-f]{64}', f.sha256)
            assert f.source.startswith(('https://', 'pypi:'))
            assert f.member or not f.source.startswith('pypi:')
    assert REGISTRY['blazepose_full'].files[0].filename == 'pose_landmark_full.tflite'


def test_models_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv('POSE_ROS_MODELS', str(tmp_path / 'a'))
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'x'))
    assert registry.models_dir() == tmp_path / 'a'
    monkeypatch.delenv('POSE_ROS_MODELS')
    assert registry.models_dir() == tmp_path / 'x' / 'pose_ros' / 'models'
    monkeypatch.delenv('XDG_CACHE_HOME')
    monkeypatch.setenv('HOME', str(tmp_path / 'h'))
    assert registry.models_dir() == tmp_path / 'h' / '.cache' / 'pose_ros' / 'models'


def test_resolve_missing_file_names_file_dir_and_command(tmp_path):
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model('movenet_lightning', tmp_path)
    msg = str(err.value)
    assert 'movenet_singlepose_lightning_int8_v4.tflite' in msg and str(tmp_path) in msg
    assert 'ros2 run pose_ros fetch_model movenet_lightning' in msg
    assert 'python -m pose_ros.models fetch movenet_lightning' in msg


def test_resolve_uses_env_cache_and_default_for_empty_name(tmp_path):
    cache = tmp_path / 'cache'
    cache.mkdir()
    for f in REGISTRY['blazepose_full'].files:
        (cache / f.filename).write_bytes(b'\0' * f.size)
    model = resolve_model('')
    assert model.name == 'blazepose_full' and model.family == 'blazepose'
    assert model.detector_path == str(cache / 'pose_detection.tflite')


def test_resolve_rejects_wrong_size(tmp_path):
    (tmp_path / 'movenet_singlepose_lightning_int8_v4.tflite').write_bytes(b'x')
    with pytest.raises(ModelNotFoundError, match='has 1 bytes, expected 2894840'):
        resolve_model('movenet_lightning', tmp_path)


def test_resolve_existing_path(tmp_path):
    path = tmp_path / 'mine.tflite'
    path.write_bytes(PAYLOAD)
    model = resolve_model(str(path))
    assert (model.name, model.family, model.model_path, model.detector_path) == (
        'mine', '', str(path), '')
    assert resolve_model(path).model_path == str(path)


@pytest.mark.parametrize('bad', ['movenet_lightening', '/no/such/model.tflite'])
def test_resolve_unknown_lists_registry(bad):
    with pytest.raises(UnknownModelError) as err:
        resolve_model(bad)
    for name in REGISTRY:
        assert name in str(err.value)


def test_resolve_directory_is_rejected(tmp_path):
    with pytest.raises(UnknownModelError, match='not a file'):
        resolve_model(str(tmp_path))


def test_cli_list(tmp_path, capsys):
    for f in REGISTRY['blazepose_full'].files:
        (tmp_path / f.filename).write_bytes(b'\0' * f.size)
    assert main(['list', '--dir', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.split()}
    for name in REGISTRY:
        assert name in rows
    assert ' yes ' in rows['blazepose_full'] and 'pinned' in rows['blazepose_full']
    assert ' no ' in rows['movenet_thunder'] and 'unpinned' in rows['movenet_thunder']
    assert str(tmp_path) in out


def test_cli_path_and_errors(tmp_path, capsys):
    for f in REGISTRY['blazepose_full'].files:
        (tmp_path / f.filename).write_bytes(b'\0' * f.size)
    assert main(['path', 'blazepose_full', '--dir', str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        str(tmp_path / 'pose_landmark_full.tflite'), str(tmp_path / 'pose_detection.tflite')]
    assert main(['path', 'posenet', '--dir', str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('fetch_model: error:') and err.count('\n') == 1
    assert main(['fetch', 'nope', '--dir', str(tmp_path)]) == 1
    assert 'blazepose_full' in capsys.readouterr().err


def test_cli_bare_name_means_fetch(server, monkeypatch, tmp_path, capsys):
    base, _ = server
    _register(monkeypatch, ModelSpec('local', 'test model', 'movenet', (
        ModelFile('local.tflite', f'{base}/model.tflite', PAYLOAD_SHA, None, 'Apache-2.0'),)))
    assert main(['local', '--dir', str(tmp_path)]) == 0
    assert (tmp_path / 'local.tflite').read_bytes() == PAYLOAD
    assert capsys.readouterr().out == ''


def test_every_registered_family_has_an_adapter():
    # A registry entry whose family the estimator does not know could be fetched but never run.
    from pose_ros.models.registry import REGISTRY
    from pose_ros.pose.families.base import FAMILIES
    assert {spec.family for spec in REGISTRY.values() if spec.kind == 'pose'} <= set(FAMILIES)
