"""A thin wrapper over the TFLite interpreter, so every model family feeds and reads tensors alike.

Families differ in whether their tensors are float or quantized; hiding the
(de)quantization here keeps each adapter's decode code in plain float32 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import time
from typing import Any, Sequence

import numpy as np

try:  # LiteRT is the maintained runtime; tflite_runtime covers older installs (e.g. on robots).
    from ai_edge_litert.interpreter import Interpreter, load_delegate
except ImportError:  # pragma: no cover - depends on what is installed
    from tflite_runtime.interpreter import Interpreter, load_delegate

_TFLITE_MAGIC = b'TFL3'


class ModelLoadError(RuntimeError):
    """The model file or its delegate could not be turned into a working interpreter."""


@dataclass(frozen=True)
class TensorInfo:
    """What a model expects of (or gives in) one tensor."""

    name: str
    index: int
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        # A uint8 image input with scale 0 takes raw 0..255 pixels and is not quantized.
        return self.dtype in (np.dtype(np.uint8), np.dtype(np.int8)) and self.scale > 0


def _info(detail: dict[str, Any]) -> TensorInfo:
    scale, zero_point = detail.get('quantization', (0.0, 0))
    return TensorInfo(name=str(detail['name']), index=int(detail['index']),
                      shape=tuple(int(d) for d in detail['shape']),
                      dtype=np.dtype(detail['dtype']), scale=float(scale),
                      zero_point=int(zero_point))


def quantize(x: np.ndarray, info: TensorInfo) -> np.ndarray:
    """Turn real values into the integer codes a quantized tensor stores."""
    if not info.quantized:
        raise ValueError(f'tensor {info.name!r} is not quantized (dtype {info.dtype}, '
                         f'scale {info.scale}); quantize() needs uint8/int8 with scale > 0')
    limits = np.iinfo(info.dtype)
    q = np.rint(np.asarray(x, dtype=np.float32) / np.float32(info.scale)) + info.zero_point
    return np.clip(q, limits.min, limits.max).astype(info.dtype)


def dequantize(x: np.ndarray, info: TensorInfo) -> np.ndarray:
    """Turn a tensor's stored values into real float32 values."""
    if not info.quantized:
        return np.asarray(x, dtype=np.float32).copy()
    return (np.asarray(x, dtype=np.float32) - np.float32(info.zero_point)) * np.float32(info.scale)


class Runtime:
    """A loaded .tflite model; ``run`` takes and returns plain numpy arrays."""

    def __init__(self, model_path: str | os.PathLike, num_threads: int = 2,
                 delegate_path: str | None = None) -> None:
        self.path = Path(model_path).expanduser()
        if not self.path.is_file():
            raise ModelLoadError(f'model file {str(self.path)!r} does not exist; expected a '
                                 '.tflite file (fetch one with: python -m pose_ros.models fetch '
                                 '<name>)')
        if num_threads < 1:
            raise ValueError(f'num_threads must be >= 1, got {num_threads}')
        with open(self.path, 'rb') as f:
            head = f.read(8)
        if head[4:8] != _TFLITE_MAGIC:
            raise ModelLoadError(f'{str(self.path)!r} is not a TFLite model: expected the '
                                 f'{_TFLITE_MAGIC.decode()} flatbuffer identifier at byte 4, '
                                 f'found {head[4:8]!r}')
        delegates = []
        if delegate_path:
            if os.sep in delegate_path and not Path(delegate_path).is_file():
                # A bare library name is left to the dynamic loader; a path must exist.
                raise ModelLoadError(f'delegate {delegate_path!r} for {str(self.path)!r} does '
                                     'not exist; expected a delegate shared library')
            try:
                delegates.append(load_delegate(delegate_path))
            except (ValueError, OSError, RuntimeError) as e:
                raise ModelLoadError(f'delegate {delegate_path!r} could not be loaded for '
                                     f'{str(self.path)!r}: {e}') from e
        try:
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads,
                                            experimental_delegates=delegates or None)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            how = f' with delegate {delegate_path!r}' if delegate_path else ''
            raise ModelLoadError(f'{str(self.path)!r} could not be loaded as a TFLite model'
                                 f'{how}: {e}') from e
        self.num_threads = num_threads
        self.inputs = [_info(d) for d in self._interpreter.get_input_details()]
        self.outputs = [_info(d) for d in self._interpreter.get_output_details()]
        self.last_invoke_s = 0.0

    def __repr__(self) -> str:
        return f'Runtime({str(self.path)!r}, num_threads={self.num_threads})'

    def resize_input(self, shape: tuple[int, ...], index: int = 0) -> None:
        """Fix a dynamic input (e.g. MoveNet MultiPose's [1,1,1,3]) at ``shape``.

        Exports with a dynamic input size cannot be allocated for a frame until told its size;
        the outputs' shapes follow, so both lists are read again.
        """
        info = self.inputs[index]
        try:
            self._interpreter.resize_tensor_input(info.index, list(shape), strict=False)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise ModelLoadError(f'input {info.name!r} of {str(self.path)!r} cannot be resized '
                                 f'to {tuple(shape)}: {e}') from e
        self.inputs = [_info(d) for d in self._interpreter.get_input_details()]
        self.outputs = [_info(d) for d in self._interpreter.get_output_details()]

    def output(self, name: str) -> TensorInfo:
        """Return the output tensor called ``name`` (families address outputs by name)."""
        for info in self.outputs:
            if info.name == name:
                return info
        raise KeyError(f'model {self.path.name!r} has no output {name!r}; it has '
                       f'{[o.name for o in self.outputs]}')

    def _prepare(self, x: np.ndarray, info: TensorInfo) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == len(info.shape) - 1:
            x = x[np.newaxis]
        if x.shape != info.shape:
            raise ValueError(f'input {info.name!r} of {self.path.name!r} expects shape '
                             f'{info.shape}, got {x.shape}')
        if x.dtype == info.dtype:
            return x
        if info.quantized and np.issubdtype(x.dtype, np.floating):
            return quantize(x, info)
        if np.issubdtype(info.dtype, np.floating):
            return x.astype(np.float32)
        if np.issubdtype(info.dtype, np.integer):
            limits = np.iinfo(info.dtype)
            return np.clip(np.rint(x), limits.min, limits.max).astype(info.dtype)
        return x.astype(info.dtype)

    def run(self, *inputs: np.ndarray,
            outputs: Sequence[int] | None = None) -> list[np.ndarray]:
        """Invoke the model once.

        ``outputs`` optionally lists positions in ``self.outputs`` to read back, so a caller
        can skip copying large outputs it never decodes (e.g. segmentation masks).
        """
        if len(inputs) != len(self.inputs):
            raise ValueError(f'{self.path.name!r} takes {len(self.inputs)} input(s) '
                             f'{[i.name for i in self.inputs]}, got {len(inputs)}')
        interpreter = self._interpreter
        for x, info in zip(inputs, self.inputs, strict=True):
            interpreter.set_tensor(info.index, self._prepare(x, info))
        start = time.perf_counter()
        interpreter.invoke()
        self.last_invoke_s = time.perf_counter() - start
        wanted = self.outputs if outputs is None else [self.outputs[i] for i in outputs]
        result = []
        for info in wanted:
            raw = interpreter.get_tensor(info.index)
            if info.quantized:
                result.append(dequantize(raw, info))
            else:  # get_tensor already copies, so only the dtype may need changing.
                result.append(raw if raw.dtype == np.float32 else raw.astype(np.float32))
        return result
