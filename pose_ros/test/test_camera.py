"""The camera source library, with files made here and a stand-in for a V4L2 camera."""

import os
import threading
import time

import cv2
import numpy as np
import pytest

from pose_ros.media.sources import (
    DEFAULT_FPS,
    Backoff,
    CameraError,
    Pacer,
    open_source,
    output_size,
    resize,
)

# Distinct RGB colours, one per frame, so order and channel order are both checked.
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]


class FakeTime:
    """A clock that moves only when slept on or told to, so pacing is exact and instant."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def frame_rgb(i: int, size=(24, 32)) -> np.ndarray:
    """Frame ``i``: its colour, with a white square whose column says the index."""
    rgb = np.zeros((*size, 3), np.uint8)
    rgb[:] = COLOURS[i % len(COLOURS)]
    rgb[2:6, 2 + 4 * i:6 + 4 * i] = 255
    return rgb


def write_png(path, rgb: np.ndarray) -> None:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def png_folder(tmp_path, n=3):
    folder = tmp_path / 'frames'
    folder.mkdir()
    # Written out of order: the source must sort by name, not by creation or inode order.
    for i in reversed(range(n)):
        write_png(folder / f'frame_{i:03d}.png', frame_rgb(i))
    (folder / 'notes.txt').write_text('not an image')
    return folder


def read_all(source, limit=100):
    frames = []
    while len(frames) < limit and (frame := source.read()) is not None:
        frames.append(frame)
    return frames


# -- image folders ----------------------------------------------------------------------------

def test_folder_gives_its_images_in_name_order_as_rgb(tmp_path):
    fake = FakeTime()
    with open_source(str(png_folder(tmp_path)), loop=False, clock=fake.clock,
                     sleep=fake.sleep) as source:
        frames = read_all(source)
        assert source.kind == 'folder' and source.ended
    assert [f.position for f in frames] == [0, 1, 2]
    assert [f.index for f in frames] == [0, 1, 2]
    for i, frame in enumerate(frames):
        assert frame.rgb.dtype == np.uint8 and frame.rgb.shape == (24, 32, 3)
        np.testing.assert_array_equal(frame.rgb, frame_rgb(i))


def test_folder_without_loop_ends_and_stays_ended(tmp_path):
    fake = FakeTime()
    source = open_source(str(png_folder(tmp_path)), loop=False, clock=fake.clock,
                         sleep=fake.sleep)
    assert len(read_all(source)) == 3
    assert source.read() is None and source.read() is None
    assert source.ended


def test_folder_with_loop_starts_again(tmp_path):
    fake = FakeTime()
    source = open_source(str(png_folder(tmp_path)), clock=fake.clock, sleep=fake.sleep)
    frames = read_all(source, limit=7)
    assert [f.position for f in frames] == [0, 1, 2, 0, 1, 2, 0]
    assert [f.index for f in frames] == list(range(7))
    np.testing.assert_array_equal(frames[3].rgb, frame_rgb(0))
    assert not source.ended


def test_folder_without_fps_plays_at_30(tmp_path):
    fake = FakeTime()
    source = open_source(str(png_folder(tmp_path)), clock=fake.clock, sleep=fake.sleep)
    assert source.period_s == pytest.approx(1 / DEFAULT_FPS)
    times = [f.time_s for f in read_all(source, limit=4)]
    assert np.diff(times) == pytest.approx([1 / 30] * 3)


def test_a_corrupt_image_is_skipped_and_named(tmp_path):
    folder = png_folder(tmp_path)
    (folder / 'frame_001.png').write_bytes(b'\x89PNG\r\n\x1a\n' + b'\0' * 40)
    reports = []
    fake = FakeTime()
    source = open_source(str(folder), loop=False, clock=fake.clock, sleep=fake.sleep,
                         report=lambda level, message: reports.append((level, message)))
    frames = read_all(source)
    assert [f.position for f in frames] == [0, 2]
    np.testing.assert_array_equal(frames[1].rgb, frame_rgb(2))
    assert len(reports) == 1
    level, message = reports[0]
    assert level == 'error' and str(folder / 'frame_001.png') in message, reports


def test_a_single_image_file_repeats(tmp_path):
    write_png(tmp_path / 'still.png', frame_rgb(1))
    fake = FakeTime()
    source = open_source(str(tmp_path / 'still.png'), clock=fake.clock, sleep=fake.sleep)
    frames = read_all(source, limit=3)
    assert len(frames) == 3
    np.testing.assert_array_equal(frames[2].rgb, frame_rgb(1))


# -- videos -----------------------------------------------------------------------------------

def write_mjpg(path, n=5, fps=25.0, size=(64, 48)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    if not writer.isOpened():
        pytest.skip(reason='this OpenCV cannot write MJPG .avi (built without FFmpeg?)')
    for i in range(n):
        writer.write(cv2.cvtColor(frame_rgb(i, (size[1], size[0])), cv2.COLOR_RGB2BGR))
    writer.release()


def assert_close_colour(rgb: np.ndarray, colour) -> None:
    """JPEG is lossy: compare the frame's middle, away from the marker, within a margin."""
    middle = rgb[rgb.shape[0] // 2:, rgb.shape[1] // 2:].reshape(-1, 3).mean(axis=0)
    assert np.abs(middle - np.array(colour)).max() < 20, (middle, colour)


def test_video_frames_in_order_at_the_files_rate(tmp_path):
    write_mjpg(tmp_path / 'clip.avi', fps=25.0)
    fake = FakeTime()
    source = open_source(str(tmp_path / 'clip.avi'), loop=False, clock=fake.clock,
                         sleep=fake.sleep)
    assert source.kind == 'video'
    assert source.period_s == pytest.approx(1 / 25)
    frames = read_all(source)
    assert len(frames) == 5
    for i, frame in enumerate(frames):
        assert frame.rgb.shape == (48, 64, 3)
        assert_close_colour(frame.rgb, COLOURS[i])
    assert np.diff([f.time_s for f in frames]) == pytest.approx([0.04] * 4)
    assert source.read() is None


def test_video_loops_back_to_its_first_frame(tmp_path):
    write_mjpg(tmp_path / 'clip.avi', n=3)
    fake = FakeTime()
    source = open_source(str(tmp_path / 'clip.avi'), clock=fake.clock, sleep=fake.sleep)
    frames = read_all(source, limit=5)
    assert [f.position for f in frames] == [0, 1, 2, 0, 1]
    assert_close_colour(frames[3].rgb, COLOURS[0])


def test_fps_overrides_the_files_rate(tmp_path):
    write_mjpg(tmp_path / 'clip.avi', fps=25.0)
    fake = FakeTime()
    source = open_source(str(tmp_path / 'clip.avi'), fps=10.0, clock=fake.clock,
                         sleep=fake.sleep)
    assert source.period_s == pytest.approx(0.1)
    assert np.diff([f.time_s for f in read_all(source, limit=3)]) == pytest.approx([0.1] * 2)


# -- animated GIFs ----------------------------------------------------------------------------

def write_gif(path, durations_ms) -> None:
    if not hasattr(cv2, 'imwriteanimation'):
        pytest.skip(reason='OpenCV older than 4.11 cannot write animations (cv2.imwriteanimation)')
    animation = cv2.Animation()
    animation.frames = [cv2.cvtColor(frame_rgb(i), cv2.COLOR_RGB2BGR)
                        for i in range(len(durations_ms))]
    animation.durations = list(durations_ms)
    animation.loop_count = 0
    assert cv2.imwriteanimation(str(path), animation)


def test_gif_frames_show_for_their_own_durations(tmp_path):
    write_gif(tmp_path / 'wave.gif', [50, 100, 200])
    fake = FakeTime()
    source = open_source(str(tmp_path / 'wave.gif'), clock=fake.clock, sleep=fake.sleep)
    assert source.kind == 'gif'
    frames = read_all(source, limit=5)
    assert [f.position for f in frames] == [0, 1, 2, 0, 1]
    # GIF palettes are 8-bit per channel but quantised: colours come back within a step.
    for frame in frames:
        assert_close_colour(frame.rgb, COLOURS[frame.position])
    assert np.diff([f.time_s for f in frames]) == pytest.approx([0.05, 0.1, 0.2, 0.05])


def test_gif_with_fps_plays_evenly(tmp_path):
    write_gif(tmp_path / 'wave.gif', [50, 100, 200])
    fake = FakeTime()
    source = open_source(str(tmp_path / 'wave.gif'), fps=20.0, clock=fake.clock,
                         sleep=fake.sleep)
    assert np.diff([f.time_s for f in read_all(source, limit=4)]) == pytest.approx([0.05] * 3)


# -- resizing ---------------------------------------------------------------------------------

def test_width_and_height_give_exactly_that_size(tmp_path):
    fake = FakeTime()
    source = open_source(str(png_folder(tmp_path)), width=16, height=20, clock=fake.clock,
                         sleep=fake.sleep)
    assert source.read().rgb.shape == (20, 16, 3)


def test_one_side_keeps_the_aspect_ratio():
    assert output_size((640, 480), 320, 0) == (320, 240)
    assert output_size((640, 480), 0, 120) == (160, 120)
    assert output_size((640, 480), 0, 0) == (640, 480)
    assert output_size((640, 480), 100, 100) == (100, 100)


def test_shrinking_averages_instead_of_sampling():
    # One lit column in four: area averaging keeps a quarter of the light everywhere, while
    # point or bilinear sampling would land on the dark columns and lose it.
    rgb = np.zeros((8, 64, 3), np.uint8)
    rgb[:, ::4] = 255
    small = resize(rgb, 16, 2)
    assert small.shape == (2, 16, 3)
    assert np.all(np.abs(small.astype(int) - 64) <= 1), small[0, :, 0]


def test_enlarging_works_too():
    assert resize(np.zeros((4, 6, 3), np.uint8), 12, 8).shape == (8, 12, 3)


# -- pacing -----------------------------------------------------------------------------------

def test_pacer_does_not_drift_when_every_frame_costs_time():
    fake = FakeTime()
    pacer = Pacer(fake.clock, fake.sleep)
    start = fake.now
    period = 1 / 30
    due = []
    for _ in range(300):
        due.append(pacer.wait(period))
        fake.now += 0.013  # decoding, resizing and publishing the frame
    assert due == pytest.approx([start + k * period for k in range(300)], abs=1e-9)
    # Frame 299 was handed out when it was due, not 300 * 13 ms later.
    assert fake.now - 0.013 == pytest.approx(start + 299 * period)
    assert pacer.resyncs == 0


def test_pacer_absorbs_a_little_lateness():
    fake = FakeTime()
    pacer = Pacer(fake.clock, fake.sleep)
    start = pacer.wait(0.1)
    fake.now += 0.15  # half a period late for the next frame
    assert pacer.wait(0.1) == pytest.approx(start + 0.1)
    assert pacer.wait(0.1) == pytest.approx(start + 0.2)
    assert fake.now == pytest.approx(start + 0.2), 'the late frame should shorten the wait'


def test_pacer_restarts_after_a_stall_instead_of_bursting():
    fake = FakeTime()
    pacer = Pacer(fake.clock, fake.sleep, max_lag_s=0.25)
    for _ in range(3):
        pacer.wait(0.05)
    fake.now += 2.0  # the consumer stalled for 40 frames
    after = [pacer.wait(0.05) for _ in range(4)]
    assert np.diff(after) == pytest.approx([0.05] * 3), 'catch-up frames came in a burst'
    assert pacer.resyncs == 1


def test_source_timestamps_follow_the_schedule_over_300_frames(tmp_path):
    class CostlyClock(FakeTime):
        def clock(self) -> float:  # every look at the clock costs a millisecond
            self.now += 0.001
            return self.now

    fake = CostlyClock()
    source = open_source(str(png_folder(tmp_path)), fps=20.0, clock=fake.clock,
                         sleep=fake.sleep)
    times = [f.time_s for f in read_all(source, limit=300)]
    assert len(times) == 300
    # Each stamp is taken just after its due time; the 300th is still 299 periods on.
    assert times[-1] - times[0] == pytest.approx(299 * 0.05, abs=0.005)


# -- cameras (a stand-in for cv2.VideoCapture) ------------------------------------------------

class FakeCamera:
    """Delivers ``frames`` reads of a BGR red image, then fails every read (unplugged)."""

    def __init__(self, fake: FakeTime, frames: int, opened: bool = True,
                 period_s: float = 1 / 30) -> None:
        self.fake, self.frames, self.opened, self.period_s = fake, frames, opened, period_s
        self.props: dict[int, float] = {}
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        if not self.opened or self.frames <= 0:
            return False, None
        self.frames -= 1
        self.fake.now += self.period_s  # a camera read blocks until the frame is exposed
        bgr = np.zeros((6, 8, 3), np.uint8)
        bgr[..., 2] = 255
        return True, bgr

    def release(self) -> None:
        self.released = True

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 30.0 if prop == cv2.CAP_PROP_FPS else 0.0)


class CameraFactory:
    """Hands out prepared FakeCameras in order, recording what was opened."""

    def __init__(self, cameras) -> None:
        self.cameras = list(cameras)
        self.opened: list = []

    def __call__(self, target):
        self.opened.append(target)
        return self.cameras.pop(0)


def test_camera_frames_are_rgb_and_the_wanted_size_is_asked_for():
    fake = FakeTime()
    camera = FakeCamera(fake, frames=3)
    factory = CameraFactory([camera])
    source = open_source('2', width=8, height=6, fps=30.0, capture_factory=factory,
                         clock=fake.clock, sleep=fake.sleep)
    assert source.live and source.description == 'camera /dev/video2'
    assert factory.opened == [2]
    assert camera.props[cv2.CAP_PROP_FRAME_WIDTH] == 8
    assert camera.props[cv2.CAP_PROP_FRAME_HEIGHT] == 6
    assert camera.props[cv2.CAP_PROP_FPS] == 30.0
    frame = source.read()
    assert frame.position == -1 and frame.rgb.shape == (6, 8, 3)
    assert tuple(frame.rgb[0, 0]) == (255, 0, 0)
    assert fake.sleeps == [], 'a camera paces itself; the source must not sleep'


def test_camera_that_disappears_is_retried_with_backoff_until_back():
    fake = FakeTime()
    reports = []
    factory = CameraFactory([
        FakeCamera(fake, frames=3),  # delivers the start-up frame and two more, then fails
        FakeCamera(fake, 0, opened=False), FakeCamera(fake, 0, opened=False),
        FakeCamera(fake, 0, opened=True),  # opens, but the first read fails again
        FakeCamera(fake, frames=100),  # back for good
    ])
    source = open_source('/dev/video7', capture_factory=factory, clock=fake.clock,
                         sleep=fake.sleep,
                         report=lambda level, message: reports.append((level, message)))
    assert len(read_all(source, limit=3)) == 3
    assert fake.sleeps == []
    frame = source.read()  # blocks through the outage
    assert frame is not None and frame.index == 3
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert factory.opened == ['/dev/video7'] * 5
    assert [level for level, _ in reports] == ['warning'] * 4 + ['info']
    assert 'camera /dev/video7 stopped delivering frames' in reports[0][1]
    assert reports[0][1].endswith('next retry in 0.5 s'), reports
    assert reports[1][1] == 'camera /dev/video7 is still unavailable; next retry in 1 s'
    assert reports[3][1].endswith('next retry in 4 s')
    assert reports[4][1] == 'camera /dev/video7 is back'


def test_after_a_recovery_the_backoff_starts_short_again():
    fake = FakeTime()
    factory = CameraFactory([FakeCamera(fake, 1), FakeCamera(fake, 0, opened=False),
                             FakeCamera(fake, 1), FakeCamera(fake, 5)])
    source = open_source('/dev/video7', capture_factory=factory, clock=fake.clock,
                         sleep=fake.sleep)
    source.read()  # the start-up frame
    source.read()  # lost: 0.5 (fails to open), 1.0 (opens, one frame)
    source.read()  # lost again right away: back to 0.5
    assert fake.sleeps == [0.5, 1.0, 0.5]


def test_backoff_doubles_to_five_seconds_and_resets():
    backoff = Backoff()
    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next() == 0.5
    with pytest.raises(ValueError):
        Backoff(first_s=0)


def test_fps_below_the_cameras_rate_drops_frames_evenly():
    fake = FakeTime()
    factory = CameraFactory([FakeCamera(fake, frames=1000, period_s=1 / 30)])
    source = open_source('0', fps=10.0, capture_factory=factory, clock=fake.clock,
                         sleep=fake.sleep)
    times = [f.time_s for f in read_all(source, limit=31)]
    assert np.diff(times) == pytest.approx([0.1] * 30, abs=0.002)


def test_stop_wakes_a_source_waiting_for_its_camera():
    # Real sleeping here: a 5 s retry delay must not hold up shutting the node down.
    factory = CameraFactory([FakeCamera(FakeTime(), 1)]
                            + [FakeCamera(FakeTime(), 0, opened=False) for _ in range(10)])
    source = open_source('/dev/video7', capture_factory=factory,
                         backoff=Backoff(first_s=5.0, max_s=5.0))
    source.read()
    results = []
    reader = threading.Thread(target=lambda: results.append(source.read()))
    reader.start()
    time.sleep(0.2)
    stopped_at = time.monotonic()
    source.stop()
    reader.join(timeout=3.0)
    assert not reader.is_alive() and results == [None]
    assert time.monotonic() - stopped_at < 2.0
    source.close()


def test_a_camera_that_does_not_open_is_a_clear_error():
    fake = FakeTime()
    with pytest.raises(CameraError, match='no camera at /dev/video7') as err:
        open_source('/dev/video7', capture_factory=CameraFactory([FakeCamera(fake, 0, False)]))
    assert 'v4l2-ctl --list-devices' in str(err.value)
    assert 'video file' in str(err.value)


@pytest.mark.skipif(os.path.exists('/dev/video99'), reason='this machine has a /dev/video99')
def test_a_missing_device_says_there_is_no_such_device():
    with pytest.raises(CameraError, match=r'no camera at /dev/video99 \(no such device\)'):
        open_source('/dev/video99')
    with pytest.raises(CameraError, match=r'no camera at /dev/video99 \(no such device\)'):
        open_source('99')


# -- start-up errors --------------------------------------------------------------------------

def test_missing_file_or_folder_is_named(tmp_path):
    missing = tmp_path / 'nowhere' / 'clip.mp4'
    with pytest.raises(CameraError, match='no such file or folder') as err:
        open_source(str(missing))
    assert str(missing) in str(err.value) and 'folder of images' in str(err.value)


def test_a_folder_without_images_is_an_error(tmp_path):
    (tmp_path / 'readme.txt').write_text('no images here')
    with pytest.raises(CameraError, match='has no images') as err:
        open_source(str(tmp_path))
    assert str(tmp_path) in str(err.value) and '.png' in str(err.value)


def test_a_folder_of_only_corrupt_images_is_an_error(tmp_path):
    (tmp_path / 'a.png').write_bytes(b'garbage')
    (tmp_path / 'b.jpg').write_bytes(b'garbage')
    with pytest.raises(CameraError, match='none of the 2 images'):
        open_source(str(tmp_path))


def test_an_unreadable_video_is_an_error(tmp_path):
    (tmp_path / 'clip.mp4').write_bytes(b'this is not a video' * 50)
    with pytest.raises(CameraError, match='cannot read .*clip.mp4 as a video'):
        open_source(str(tmp_path / 'clip.mp4'))


def test_a_corrupt_gif_is_an_error(tmp_path):
    (tmp_path / 'wave.gif').write_bytes(b'GIF89a' + b'\0' * 20)
    with pytest.raises(CameraError, match='cannot read .*wave.gif as an animated GIF'):
        open_source(str(tmp_path / 'wave.gif'))


def test_negative_sizes_are_refused(tmp_path):
    with pytest.raises(CameraError, match='width, height and fps'):
        open_source(str(png_folder(tmp_path)), width=-1)


def test_frames_are_timed_at_capture_not_after_conversion(monkeypatch):
    # Slow conversion (a big frame resized) must not make the frame look newer than it is:
    # the time is taken when the camera's read returned.
    from pose_ros.media import sources
    fake = FakeTime()
    factory = CameraFactory([FakeCamera(fake, frames=3, period_s=1 / 30)])
    slow_resize = sources.resize

    def resize(rgb, width, height):
        fake.now += 0.25
        return slow_resize(rgb, width, height)

    monkeypatch.setattr(sources, 'resize', resize)
    source = open_source('0', capture_factory=factory, clock=fake.clock, sleep=fake.sleep)
    captured = []
    for _ in range(3):
        before = fake.now
        frame = source.read()
        captured.append((frame.time_s, before, fake.now))
    for time_s, before, after in captured:
        assert before <= time_s <= after - 0.25
