"""Which adapter each row runs with, set on the LoRA layers (``ragvsft.generators.row_adapters``), and the server's
running batch that decodes with it: base rows bit for bit the base model, adapter rows the adapter, PEFT's
per-row path left to prefill."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lm_fixtures import decoded_together, lora_adapter
from ragvsft.errors import RagvsftError
from ragvsft.generators.hf import BASE_ROWS
from ragvsft.generators.row_adapters import AdapterRows
from ragvsft.models import load_lm


def _loaded(tiny_lm_dir: Path, tmp_path: Path, targets: tuple[str, ...] = ("q_proj", "v_proj")):
    """The tiny model (float32) and a PEFT model around it with a LoRA adapter named "default"."""
    from peft import PeftModel

    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path / "cache")
    adapter = lora_adapter(Path(lm.path), tmp_path / "adapter", base_identity=lm.identity, targets=targets)
    return lm, PeftModel.from_pretrained(lm.model, str(adapter), is_trainable=False).eval()


def _peft(tiny_lm_dir: Path, tmp_path: Path, targets: tuple[str, ...] = ("q_proj", "v_proj")):
    return _loaded(tiny_lm_dir, tmp_path, targets)[1]


def test_base_rows_get_the_base_model_bit_for_bit_and_adapter_rows_the_adapter(tiny_lm_dir: Path,
                                                                               tmp_path: Path) -> None:
    peft = _peft(tiny_lm_dir, tmp_path)
    ids = torch.tensor([[5, 17, 42, 8, 99, 3]] * 3, device=peft.device)
    with torch.no_grad():
        with peft.disable_adapter():
            base = peft(input_ids=ids).logits
        tuned = peft(input_ids=ids).logits
        rows = AdapterRows(peft)
        with rows.scope([BASE_ROWS, "default", BASE_ROWS]):
            mixed = peft(input_ids=ids).logits
        with rows.scope([BASE_ROWS] * 3):
            switched_off = peft(input_ids=ids).logits
        with peft.disable_adapter(), rows.scope(["default"] * 3):
            switched_on = peft(input_ids=ids).logits
    assert not torch.allclose(base, tuned, atol=1e-3)  # the adapter changes the logits: the test can tell them apart
    assert torch.equal(mixed[0], base[0]) and torch.equal(mixed[2], base[2])  # + 0, exactly
    torch.testing.assert_close(mixed[1], tuned[1], atol=1e-5, rtol=1e-5)
    assert torch.equal(switched_off, base) and torch.equal(switched_on, tuned)  # PEFT's own switches, bit for bit


def test_scaling_and_active_adapter_are_restored_after_the_block_even_on_error(tiny_lm_dir: Path,
                                                                               tmp_path: Path) -> None:
    peft = _peft(tiny_lm_dir, tmp_path)
    layer = peft.base_model.model.model.layers[0].self_attn.q_proj
    before = dict(layer.scaling)
    with pytest.raises(RuntimeError, match="boom"), AdapterRows(peft).scope(["default", BASE_ROWS]):
        assert isinstance(layer.scaling["default"], torch.Tensor)
        raise RuntimeError("boom")
    assert layer.scaling == before and isinstance(before["default"], float)
    with AdapterRows(peft).scope([BASE_ROWS]):
        assert layer.disable_adapters
    assert not layer.disable_adapters and layer.active_adapters == ["default"] and peft.active_adapter == "default"
    with pytest.raises(RagvsftError, match="adapter gone is not loaded; loaded: default"):
        with AdapterRows(peft).scope(["gone", BASE_ROWS]):
            pass


def test_only_plain_lora_linear_layers_take_row_scaling(tiny_lm_dir: Path, tmp_path: Path) -> None:
    assert AdapterRows(_peft(tiny_lm_dir, tmp_path / "linear")).supports_row_scaling(["default", BASE_ROWS])
    embedding = _peft(tiny_lm_dir, tmp_path / "embedding", targets=("q_proj", "embed_tokens"))
    assert not AdapterRows(embedding).supports_row_scaling(["default", BASE_ROWS])  # not scaled per row here


def test_server_batches_decode_mixed_rows_by_row_scaling_and_prefill_them_by_per_row_path(
        tiny_lm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peft.tuners.lora import Linear

    from ragvsft.generators import HFGenerator

    lm, peft = _loaded(tiny_lm_dir, tmp_path)
    gen = HFGenerator.from_loaded(lm, adapter_model=peft, identity="tiny+adapter")
    per_row_inputs: list[int] = []  # tokens per row of each input PEFT's per-row path saw
    original = Linear._mixed_batch_forward
    monkeypatch.setattr(Linear, "_mixed_batch_forward",
                        lambda self, x, *a, **k: per_row_inputs.append(x.shape[1]) or original(self, x, *a, **k))
    prompts = [[5, 17, 42, 8, 99, 3] * 8, [7, 11, 3], [5, 17, 42, 8, 99, 3] * 7, [9, 4, 21, 6]]
    names = [BASE_ROWS, "default", "default", BASE_ROWS]
    together = decoded_together(gen, prompts, names, 6)
    assert per_row_inputs and min(per_row_inputs) > 1  # prefill only: no decoding step (1 token) went through it
    alone = [gen.generate_ids([p], max_new_tokens=[6], adapter_names=[n])[0] for p, n in zip(prompts, names)]
    assert together == [g.text for g in alone]  # float32: the same answers as one at a time
