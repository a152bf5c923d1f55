"""The device setting: what it accepts, what ``auto`` picks, and the error for a GPU that is not there."""

from __future__ import annotations

import pytest
import torch

from ragvsft.device import dtype_for, resolve_device, valid_device
from ragvsft.errors import RagvsftError

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only machine's behaviour")


@pytest.mark.parametrize(("spec", "ok"), [("auto", True), ("cpu", True), ("cuda", True), ("cuda:0", True),
                                          ("cuda:12", True), ("gpu", False), ("cuda:", False), ("CPU", False),
                                          ("cuda:0 ", False), ("", False)])
def test_valid_device(spec: str, ok: bool) -> None:
    assert valid_device(spec) is ok


def test_auto_follows_what_torch_sees() -> None:
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu" and dtype_for("cpu") == torch.float32


@no_gpu
@pytest.mark.parametrize("spec", ["cuda", "cuda:1"])
def test_a_gpu_that_is_not_there_is_a_clear_error(spec: str) -> None:
    with pytest.raises(RagvsftError, match=rf"device '{spec}': torch .* sees no CUDA GPU; set the device to auto or cpu"):
        resolve_device(spec)


def test_a_malformed_device_is_refused() -> None:
    with pytest.raises(RagvsftError, match="device 'gpu0': use auto"):
        resolve_device("gpu0")


def test_models_load_on_the_resolved_device_in_its_dtype(tiny_lm_dir, tmp_path) -> None:
    from ragvsft.embedders import SentenceTransformerEmbedder
    from ragvsft.models import load_lm

    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, device="auto")
    expected = resolve_device("auto")
    assert lm.model.device.type == expected.split(":")[0] and lm.model.dtype == dtype_for(expected)
    assert str(SentenceTransformerEmbedder("all-MiniLM-L6-v2", device="cpu").model.device) == "cpu"
