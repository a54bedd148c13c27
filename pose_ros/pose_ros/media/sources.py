"""Frames from a V4L2 camera, a video file, an image folder or an animated GIF, alike.

Why one interface: the pose pipeline is developed and tested on recorded clips but run on a
live camera, and a replay is only a fair stand-in when it behaves like one. So every source
hands out RGB frames at a steady rate: a file is paced to its own frame rate against a fixed
schedule (late frames never make the replay drift), and a camera that disappears is reopened
with a growing delay instead of ending the stream. Nothing here imports rclpy; the clock and the
sleep are injectable so pacing and retries are tested without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import math
import os
import stat
import threading
import time
from typing import Any, Protocol

import cv2
import numpy as np

IMAGE_EXTENSIONS: tuple[str, ...] = ('.png', '.jpg', '.jpeg', '.bmp')
# A still-image folder has no rate of its own, nor does a file that reports none.
DEFAULT_FPS = 30.0
# Browsers show GIF frames with a delay of 10 ms or less for 100 ms; so does this.
_GIF_MIN_DELAY_S = 0.011
_GIF_DEFAULT_DELAY_S = 0.1

_FILES = (f"a video file, a folder of images ({', '.join(IMAGE_EXTENSIONS)}) or an animated "
          '.gif as source')
_EXPECTED = f"give a camera index ('0') or device ('/dev/video0'), {_FILES}"

# A source's report of something the node should log: (level, message), level one of
# 'info', 'warning', 'error'. Errors are keyed by their message, so a caller can throttle them.
Report = Callable[[str, str], None]


class CameraError(Exception):
    """The source cannot deliver frames; the message names it and says what was expected."""


class Capture(Protocol):
    """The part of cv2.VideoCapture a source uses, so tests can stand in for a camera."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...

    def set(self, prop: int, value: float) -> bool: ...

    def get(self, prop: int) -> float: ...


CaptureFactory = Callable[[Any], Capture]


@dataclass(frozen=True)
class Frame:
    """One frame as delivered: when it was captured (the source's clock) and its place."""

    rgb: np.ndarray  # (H, W, 3) uint8, RGB
    # The source clock (time.monotonic by default) at capture: when a camera's read returned,
    # or when a recording's frame was due; before conversion and resizing.
    time_s: float
    index: int  # frames delivered before this one
    position: int  # index within the file, folder or GIF (restarts each loop); -1 for cameras


class Backoff:
    """Delays between reconnection attempts: first_s, doubling, never above max_s.

    Why growing: a camera unplugged for good should not be hammered (every failed V4L2 open
    logs in the kernel), while one that was only reset should be back within half a second.
    """

    def __init__(self, first_s: float = 0.5, factor: float = 2.0, max_s: float = 5.0) -> None:
        if first_s <= 0 or factor < 1 or max_s < first_s:
            raise ValueError(f'Backoff needs 0 < first_s <= max_s and factor >= 1, got '
                             f'first_s={first_s}, factor={factor}, max_s={max_s}')
        self.first_s, self.factor, self.max_s = first_s, factor, max_s
        self._next = first_s

    def next(self) -> float:
        """Return the delay before the next attempt, and lengthen the one after it."""
        delay = self._next
        self._next = min(self._next * self.factor, self.max_s)
        return delay

    def reset(self) -> None:
        self._next = self.first_s


class Pacer:
    """Hand out frames on a fixed schedule measured from the first one.

    Why a schedule and not sleep(period) after each frame: decoding and publishing take time,
    so the latter runs slow by that much per frame and a 30 fps clip plays at 27. Here frame k
    is due at start + the durations of frames 0..k-1; a frame that is late by a little shortens
    the next wait. A frame later than ``max_lag_s`` (the consumer stalled) restarts the
    schedule from now, so a stall never ends in a burst of catch-up frames.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep, max_lag_s: float = 0.25) -> None:
        self._clock = clock
        self._sleep = sleep
        self.max_lag_s = max_lag_s
        self._due: float | None = None
        self.resyncs = 0

    def wait(self, duration_s: float) -> float:
        """Sleep until this frame is due, and schedule the next ``duration_s`` later.

        Returns the time the frame was due (on the schedule, not when the sleep ended).
        """
        now = self._clock()
        if self._due is None:
            self._due = now
        elif now - self._due > self.max_lag_s:
            self._due = now
            self.resyncs += 1
        elif self._due > now:
            self._sleep(self._due - now)
        due = self._due
        self._due += duration_s
        return due

    def reset(self) -> None:
        self._due = None


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Turn what OpenCV decodes (BGR, BGRA or grey) into (H, W, 3) RGB."""
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def output_size(native: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    """Return the (width, height) to publish; a single given side keeps the aspect ratio."""
    w, h = native
    if width and height:
        return width, height
    if width:
        return width, max(1, round(h * width / w))
    if height:
        return max(1, round(w * height / h)), height
    return w, h


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to the requested size; INTER_AREA when shrinking, which does not alias."""
    size = output_size((rgb.shape[1], rgb.shape[0]), width, height)
    if size == (rgb.shape[1], rgb.shape[0]):
        return rgb
    shrinking = size[0] <= rgb.shape[1] and size[1] <= rgb.shape[0]
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


# -- readers: raw frames in file order, no pacing ---------------------------------------------

class _Reader:
    """A file, folder or camera, frame by frame: (image, seconds it lasts or None) or None."""

    def next(self) -> tuple[np.ndarray, float | None] | None:
        raise NotImplementedError

    def rewind(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _FolderReader(_Reader):
    def __init__(self, description: str, paths: list[str], report: Report) -> None:
        self._description = description
        self._paths = paths
        self._report = report
        self._i = 0

    def next(self) -> tuple[np.ndarray, float | None] | None:
        while self._i < len(self._paths):
            path = self._paths[self._i]
            self._i += 1
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is not None:
                return image, None
            self._report('error', f'skipped {path}: not a readable image (corrupt or '
                         'truncated?)')
        return None

    def rewind(self) -> None:
        self._i = 0

    @property
    def position(self) -> int:
        return self._i - 1


class _AnimationReader(_Reader):
    def __init__(self, frames: list[np.ndarray], durations_s: list[float]) -> None:
        self._frames = frames
        self._durations = durations_s
        self._i = 0

    def next(self) -> tuple[np.ndarray, float | None] | None:
        if self._i >= len(self._frames):
            return None
        self._i += 1
        return self._frames[self._i - 1], self._durations[self._i - 1]

    def rewind(self) -> None:
        self._i = 0

    @property
    def position(self) -> int:
        return self._i - 1


class _VideoReader(_Reader):
    def __init__(self, path: str, factory: CaptureFactory) -> None:
        self._path = path
        self._factory = factory
        self._cap = factory(path)
        self._i = 0

    def next(self) -> tuple[np.ndarray, float | None] | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        self._i += 1
        return image, None

    def rewind(self) -> None:
        # Reopening, not seeking to frame 0: seeking is unreliable in some containers and
        # codecs (it lands on the nearest key frame, or fails silently).
        self._cap.release()
        self._cap = self._factory(self._path)
        self._i = 0

    def close(self) -> None:
        self._cap.release()

    @property
    def position(self) -> int:
        return self._i - 1


class _DeviceReader(_Reader):
    """A camera; when reads fail it is reopened with backoff until it is back or stopped."""

    def __init__(self, description: str, target: Any, cap: Capture, factory: CaptureFactory,
                 configure: Callable[[Capture], None], report: Report,
                 sleep: Callable[[float], Any], stopped: Callable[[], bool],
                 backoff: Backoff) -> None:
        self._description = description
        self._target = target
        self._cap: Capture | None = cap
        self._factory = factory
        self._configure = configure
        self._report = report
        self._sleep = sleep
        self._stopped = stopped
        self.backoff = backoff
        self._failures = 0

    def next(self) -> tuple[np.ndarray, float | None] | None:
        while not self._stopped():
            if self._cap is not None:
                ok, image = self._cap.read()
                if ok and image is not None:
                    if self._failures:
                        self._report('info', f'{self._description} is back')
                        self._failures = 0
                        self.backoff.reset()
                    return image, None
                self._cap.release()
                self._cap = None
            delay = self.backoff.next()
            self._report('warning', (
                f'{self._description} stopped delivering frames (unplugged or reset?)'
                if not self._failures else f'{self._description} is still unavailable')
                + f'; next retry in {delay:g} s')
            self._failures += 1
            self._sleep(delay)
            if self._stopped():
                break
            cap = self._factory(self._target)
            if cap.isOpened():
                self._configure(cap)
                self._cap = cap
            else:
                cap.release()
        return None

    def rewind(self) -> None:
        pass

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @property
    def position(self) -> int:
        return -1


# -- the source: pacing, looping, resizing ----------------------------------------------------

class FrameSource:
    """RGB frames from one source, at its own rate (files) or the camera's (devices).

    ``read`` blocks until the next frame is due and returns None once the source has ended
    (a file without ``loop``) or ``stop`` was called. Call ``read`` from one thread; ``stop``
    may come from any thread and wakes a waiting ``read``. ``close`` releases the file or
    device and belongs to the reading thread, after its last ``read``.
    """

    def __init__(self, description: str, kind: str, reader: _Reader, period_s: float,
                 width: int, height: int, fps: float, loop: bool,
                 clock: Callable[[], float], sleep: Callable[[float], Any] | None,
                 stop_event: threading.Event) -> None:
        self.description = description
        self.kind = kind  # 'camera', 'video', 'folder', 'gif' or 'image'
        self.live = kind == 'camera'
        self.width, self.height, self.loop = width, height, loop
        self.fps = fps
        self.period_s = period_s
        self._reader = reader
        self._clock = clock
        self._stop = stop_event
        self._sleep = sleep if sleep is not None else self._wait
        self._pacer = Pacer(clock, self._sleep)
        self._delivered = 0
        self._ended = False
        self._pending: tuple[np.ndarray, float | None] | None = None
        self._due: float | None = None  # live sources with fps set: the next frame to pass

    def _wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    @property
    def ended(self) -> bool:
        return self._ended

    def _next_image(self) -> tuple[np.ndarray, float | None] | None:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        item = self._reader.next()
        if item is None and self.loop and not self.live and not self._stop.is_set():
            self._reader.rewind()
            item = self._reader.next()
            if item is None:
                raise CameraError(f'{self.description} gave no frame after restarting it')
        return item

    def peek(self) -> np.ndarray | None:
        """Decode the first frame without using it up: start-up checks it can be read."""
        if self._pending is None:
            self._pending = self._reader.next()
        return None if self._pending is None else self._pending[0]

    def read(self) -> Frame | None:
        """Return the next frame when it is due, or None when the source ended or stopped."""
        while not self._ended and not self._stop.is_set():
            item = self._next_image()
            if item is None:
                self._ended = not self._stop.is_set()
                return None
            image, duration = item
            position = getattr(self._reader, 'position', -1)
            if self.live:
                captured = self._clock()  # the read has just returned: this is the capture
                if not self._passes_rate():
                    continue
            else:
                period = self.period_s if self.fps > 0 or duration is None else duration
                self._pacer.wait(period)
                if self._stop.is_set():
                    break
                captured = self._clock()  # a replay's frame is "captured" when it is due
            rgb = resize(to_rgb(image), self.width, self.height)
            frame = Frame(rgb=rgb, time_s=captured, index=self._delivered, position=position)
            self._delivered += 1
            return frame
        return None

    def _passes_rate(self) -> bool:
        """Drop camera frames that come faster than ``fps`` asked for (the device may not).

        A frame passes from a tenth of a period early, so camera jitter does not make every
        other due frame miss its slot.
        """
        if self.fps <= 0:
            return True
        now = self._clock()
        if self._due is not None and now < self._due - 0.1 * self.period_s:
            return False
        late = self._due is None or now > self._due + self.period_s
        self._due = (now if late else self._due) + self.period_s
        return True

    def stop(self) -> None:
        """Make ``read`` return None soon, from any thread (a camera read may take a frame)."""
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._reader.close()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame


def _device_target(source: str) -> tuple[Any, str] | None:
    """Return (what cv2 opens, the device path) for a camera source, or None."""
    if source == '' or source.isdigit():
        index = int(source or '0')
        return index, f'/dev/video{index}'
    if source.startswith('/dev/'):
        return source, source
    try:
        if stat.S_ISCHR(os.stat(source).st_mode):
            return source, source
    except OSError:
        pass
    return None


def _v4l2_capture(target: Any) -> Capture:
    return cv2.VideoCapture(target, cv2.CAP_V4L2)


def _file_capture(path: str) -> Capture:
    return cv2.VideoCapture(path)


def _rate(fps: Any) -> float | None:
    """Return the rate a file or device reports, or None when it reports none that makes sense."""
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        return None
    return fps if math.isfinite(fps) and 0 < fps <= 1000 else None


def _read_gif(path: str, factory: CaptureFactory | None
              ) -> tuple[list[np.ndarray], list[float]] | None:
    """All frames of a GIF and how long each shows, or None when it cannot be decoded.

    OpenCV 4.11+ reads animations with their frame delays (imreadanimation). Older ones
    read GIFs only through FFmpeg, which gives one average rate for all frames.
    """
    reader = getattr(cv2, 'imreadanimation', None)
    if reader is not None and factory is None:
        try:
            ok, animation = reader(path)
        except cv2.error:
            ok = False
        if ok and len(animation.frames):
            delays = [float(d) / 1000.0 for d in np.asarray(animation.durations).reshape(-1)]
            delays += [0.0] * (len(animation.frames) - len(delays))
            delays = [d if d >= _GIF_MIN_DELAY_S else _GIF_DEFAULT_DELAY_S for d in delays]
            return list(animation.frames), delays
    cap = (factory or _file_capture)(path)
    try:
        if not cap.isOpened():
            return None
        rate = _rate(cap.get(cv2.CAP_PROP_FPS))
        frames = []
        while True:
            ok, image = cap.read()
            if not ok or image is None:
                break
            frames.append(image)
    finally:
        cap.release()
    if not frames:
        return None
    return frames, [1.0 / rate if rate else _GIF_DEFAULT_DELAY_S] * len(frames)


def open_source(source: str, width: int = 0, height: int = 0, fps: float = 0.0,
                loop: bool = True, *, report: Report | None = None,
                capture_factory: CaptureFactory | None = None,
                clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], Any] | None = None,
                backoff: Backoff | None = None) -> FrameSource:
    """Open ``source`` and check that it gives a frame; a CameraError says what is wrong.

    ``source``: '' or a number is a V4L2 camera index, '/dev/...' a device, a folder is read
    as images in name order, '.gif' as an animation, an image file as a one-frame folder, any
    other file as a video. ``fps`` 0 keeps the file's or device's own rate (30 for images).
    ``report(level, message)`` receives skipped files and camera losses and recoveries.
    ``capture_factory`` stands in for cv2.VideoCapture (tests); ``clock`` and ``sleep`` for
    time.monotonic and an interruptible sleep.
    """
    if width < 0 or height < 0 or fps < 0 or not math.isfinite(fps):
        raise CameraError(f'width, height and fps must be 0 (native) or positive, got '
                          f'{width}, {height}, {fps}')
    report = report or (lambda level, message: None)
    stop = threading.Event()
    source = source.strip()
    device = _device_target(source)

    def make(description: str, kind: str, reader: _Reader, native_period: float) -> FrameSource:
        period = 1.0 / fps if fps > 0 else native_period
        return FrameSource(description, kind, reader, period, width, height, fps, loop,
                           clock, sleep, stop)

    if device is not None:
        target, path = device
        description = f'camera {path}'
        factory = capture_factory or _v4l2_capture

        def configure(cap: Capture) -> None:
            # Ask the camera for the wanted size and rate, so that resizing and dropping
            # frames are rarely needed; a driver that cannot do it keeps its own.
            if width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            if height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if fps:
                cap.set(cv2.CAP_PROP_FPS, fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queued one

        cap = factory(target)
        if not cap.isOpened():
            cap.release()
            if not os.path.exists(path):
                why = 'no such device'
            else:
                why = ('the device exists but did not open: in use by another program, or no '
                       'permission (is the user in the video group?)')
            raise CameraError(f'no camera at {path} ({why}); list devices with '
                              f'`v4l2-ctl --list-devices`, or give {_FILES}')
        configure(cap)
        native = _rate(cap.get(cv2.CAP_PROP_FPS))
        reader = _DeviceReader(description, target, cap, factory, configure, report,
                               sleep or stop.wait, stop.is_set, backoff or Backoff())
        result = make(description, 'camera', reader, 1.0 / (native or DEFAULT_FPS))
        # A camera that opens but gives no frame would otherwise only be found out later.
        if result.peek() is None:
            result.close()
            raise CameraError(f'{description} opened but gave no frame')
        return result

    path = os.path.abspath(os.path.expanduser(source))
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.lower().endswith(IMAGE_EXTENSIONS)
                       and os.path.isfile(os.path.join(path, n)))
        if not names:
            raise CameraError(f'image folder {path} has no images '
                              f'({", ".join(IMAGE_EXTENSIONS)}); {_EXPECTED}')
        paths = [os.path.join(path, n) for n in names]
        result = make(f'image folder {path}', 'folder',
                      _FolderReader(f'image folder {path}', paths, report), 1.0 / DEFAULT_FPS)
        if result.peek() is None:
            raise CameraError(f'none of the {len(paths)} images in {path} could be read')
        return result
    if not os.path.isfile(path):
        raise CameraError(f'no such file or folder: {path}; {_EXPECTED}')
    lower = path.lower()
    if lower.endswith('.gif'):
        decoded = _read_gif(path, capture_factory)
        if decoded is None:
            raise CameraError(f'cannot read {path} as an animated GIF (corrupt?)')
        frames, delays = decoded
        return make(f'gif {path}', 'gif', _AnimationReader(frames, delays),
                    sum(delays) / len(delays))
    if lower.endswith(IMAGE_EXTENSIONS):
        result = make(f'image {path}', 'image', _FolderReader(f'image {path}', [path], report),
                      1.0 / DEFAULT_FPS)
        if result.peek() is None:
            raise CameraError(f'cannot read image {path} (corrupt or truncated?)')
        return result
    factory = capture_factory or _file_capture
    reader = _VideoReader(path, factory)
    cap = reader._cap
    if not cap.isOpened():
        reader.close()
        raise CameraError(f'cannot read {path} as a video: OpenCV (FFmpeg) could not open it '
                          f'(not a video, or no decoder for its codec); {_EXPECTED}')
    native = _rate(cap.get(cv2.CAP_PROP_FPS))
    result = make(f'video {path}', 'video', reader, 1.0 / (native or DEFAULT_FPS))
    if result.peek() is None:
        result.close()
        raise CameraError(f'video {path} has no frame that can be decoded')
    return result
