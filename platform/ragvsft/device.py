"""Where models run: the ``device`` settings (``auto``, ``cpu``, ``cuda``, ``cuda:N``) and the dtypes that follow.

``auto`` picks CUDA when torch sees a GPU, else the CPU.

Training weights are bfloat16 on GPUs that support it (half the memory, tensor
cores) and float32 elsewhere: float16 training without loss scaling is fragile,
and on a CPU with AMX bfloat16 training measured only 1.2x faster, for a
different adapter.

Inference (generation, embedding) has its own ``dtype`` setting. ``auto`` picks
bfloat16 where the hardware computes it fast enough to win: a CUDA GPU that supports it, a CPU with AMX, or an
AMD CPU with AVX-512 BF16, whose instructions oneDNN uses for PyTorch's bfloat16 matrix products (measured on a
2-core Xeon with AMX: 2.3x the float32 generation speed on 3-passage RAG prompts, 2.7x for MiniLM embeddings; on a
2-core AMD EPYC Zen 5 with AVX-512 BF16 and no AMX: 1.6-2.4x for generation). An Intel CPU with AVX-512 BF16 and
no AMX (a Cooper Lake, or a newer Xeon whose AMX a hypervisor hides) lost: on a 2-core one the whole demo took
11 min 39 s in bfloat16 against 8 min 22 s in float32 (fine-tuning 249 s against 154 s, RAG answers 170 s against
132 s), so ``auto`` stays float32 there. On an AVX2-only CPU PyTorch emulates bfloat16 and runs ~3x *slower* than
float32, so ``auto`` stays float32 there too.
"""

from __future__ import annotations

import functools
import platform
import re
from pathlib import Path
from typing import Any

from ragvsft.errors import RagvsftError

DEVICE_HELP = "use auto (CUDA when available, else CPU), cpu, cuda or cuda:N"
DTYPES = ("auto", "float32", "bfloat16")
"""Inference precisions: ``auto`` resolves to one of the other two on the machine that loads the model."""
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


def native_bfloat16(device: str) -> bool:
    """Whether ``device`` (resolved: ``cpu``, ``cuda``, ``cuda:N``) computes bfloat16 fast enough for it to be the
    default: a CUDA GPU that supports it, a CPU with AMX, or a CPU with AVX-512 BF16 that is not an Intel one
    (see the module's docstring for what was measured).

    Example:
        >>> native_bfloat16("cpu") in (True, False)
        True
    """
    if device.startswith("cuda"):
        return bfloat16_hardware(device)
    return _cpu_probe("_is_amx_tile_supported") or (_cpu_probe("_is_avx512_bf16_supported")
                                                    and cpu_vendor() != "GenuineIntel")


def bfloat16_hardware(device: str) -> bool:
    """Whether ``device`` has bfloat16 instructions at all (a GPU that supports it; a CPU with AMX or AVX-512 BF16),
    default or not: what the bfloat16 decoding paths (weight packing, 4-bit decoding) need to be worth using.

    Example:
        >>> bfloat16_hardware("cpu") in (True, False)
        True
    """
    import torch

    if device.startswith("cuda"):
        return bool(torch.cuda.is_bf16_supported())
    return _cpu_probe("_is_amx_tile_supported") or _cpu_probe("_is_avx512_bf16_supported")


def _cpu_probe(name: str) -> bool:
    # torch.cpu's probes are private but present since 2.3; a build without them means "no", the safe answer
    # (float32 is never slower than emulated bfloat16).
    import torch

    probe = getattr(torch.cpu, name, None)
    return probe is not None and bool(probe())


@functools.cache
def cpu_vendor() -> str:
    """The CPU's vendor string (``GenuineIntel``, ``AuthenticAMD``), or "" where it cannot be read.

    Example:
        >>> cpu_vendor() in ("GenuineIntel", "AuthenticAMD", "")
        True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("vendor_id"):
                return line.partition(":")[2].strip()
    except OSError:  # not Linux: Windows and macOS name it in the processor string
        pass
    processor = platform.processor()
    return next((vendor for vendor in ("GenuineIntel", "AuthenticAMD") if vendor in processor), "")


def bfloat16_on_cpu(model: Any) -> bool:
    """Whether ``model`` (a torch module) holds bfloat16 weights on a CPU, as read from its first parameter: what
    the CPU decoding paths (``ragvsft.generators.packed_weights``, ``int4_weights``) need.

    Example:
        >>> import torch
        >>> bfloat16_on_cpu(torch.nn.Linear(2, 2).to(torch.bfloat16)), bfloat16_on_cpu(torch.nn.Linear(2, 2))
        (True, False)
    """
    import torch

    first = next(model.parameters(), None)
    return first is not None and first.device.type == "cpu" and first.dtype == torch.bfloat16


def inference_dtype(device: str, setting: str) -> str:
    """The dtype name (``float32`` or ``bfloat16``) a model for inference on ``device`` (a device setting, see
    :func:`resolve_device`) loads in, for the ``dtype`` setting ``setting`` (``auto``: bfloat16 where
    :func:`native_bfloat16`, else float32).

    Example:
        >>> inference_dtype("cpu", "float32")
        'float32'
        >>> inference_dtype("cpu", "auto") in DTYPES
        True
    """
    if setting not in DTYPES:
        raise RagvsftError(f"dtype {setting!r}: use one of {', '.join(DTYPES)}")
    if setting != "auto":
        return setting
    return "bfloat16" if native_bfloat16(resolve_device(device)) else "float32"
