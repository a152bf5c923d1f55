"""Where models run: the ``device`` settings (``auto``, ``cpu``, ``cuda``, ``cuda:N``) and the dtype that follows.

``auto`` picks CUDA when torch sees a GPU, else the CPU. Weights are bfloat16
on GPUs that support it (half the memory, tensor cores) and float32 elsewhere:
float16 training without loss scaling is fragile, and CPUs compute float32.
"""

from __future__ import annotations

import re
from typing import Any

from ragvsft.errors import RagvsftError

DEVICE_HELP = "use auto (CUDA when available, else CPU), cpu, cuda or cuda:N"
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def valid_device(spec: str) -> bool:
    """Whether ``spec`` names a device this project supports (checked without importing torch).

    Example:
        >>> [valid_device(s) for s in ("auto", "cpu", "cuda:1", "gpu", "cuda:")]
        [True, True, True, False, False]
    """
    return bool(_DEVICE.fullmatch(spec))


def resolve_device(spec: str) -> str:
    """``auto`` -> ``cuda`` or ``cpu``; a CUDA device torch cannot use is an error that says what to set instead.

    Example:
        >>> resolve_device("cpu")
        'cpu'
        >>> resolve_device("auto") in ("cpu", "cuda")
        True
    """
    if not valid_device(spec):
        raise RagvsftError(f"device {spec!r}: {DEVICE_HELP}")
    if spec == "cpu":
        return spec
    import torch

    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        raise RagvsftError(f"device {spec!r}: torch {torch.__version__} sees no CUDA GPU; set the device to "
                           "auto or cpu, or install a CUDA build of torch (RAGVSFT_TORCH, see the README)")
    index = int(spec.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise RagvsftError(f"device {spec!r}: only {torch.cuda.device_count()} CUDA device(s) visible")
    return spec


def dtype_for(device: str) -> Any:
    """The torch dtype for weights on ``device``: bfloat16 on GPUs that support it, float32 otherwise.

    Example:
        >>> str(dtype_for("cpu"))
        'torch.float32'
    """
    import torch

    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32
