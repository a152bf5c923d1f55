"""Batch-invariant generation (``model.batch_invariant``, ``ragvsft.generators.batch_invariant``): in bfloat16 a
row's logits at every step are the same bits alone and in a padded batch, with adapters mixed per row as the server
runs them; evaluation then keeps adapters unmerged, as the server does.

Bit-for-bit holds where oneDNN computes bfloat16 natively (AMX), what was measured; elsewhere those tests skip.
float32 is not covered: MKL's one-row products differ from many-row ones in the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from lm_fixtures import build_tiny_lm, lora_adapter
from ragvsft.builders import build_generator
from ragvsft.config import ModelConfig
from ragvsft.device import bfloat16_hardware
from ragvsft.generators import HFGenerator
from ragvsft.generators.batch_invariant import use_two_row_products
from ragvsft.generators.hf import BASE_ROWS
from ragvsft.models import load_lm
from ragvsft.prompts import PromptTemplate

native_only = pytest.mark.skipif(not bfloat16_hardware("cpu"), reason="measured where the CPU computes bfloat16 (AMX)")
QUESTIONS = ["Who books travel?", "How long is parental leave at Orvane Instruments, and who approves requests?",
             "What does error E17 mean?",
             "What is the X-200's maximum pressure? " + "Answer from the manual, citing the section. " * 6]


def _decoding_logits(generator: HFGenerator, prompts: Sequence[Sequence[int]], row: int,
                     adapter_names: Sequence[str] | None = None) -> list[torch.Tensor]:
    """``row``'s next-token logits at every step ``generate`` computed for the batch ``prompts``."""
    seen: list[torch.Tensor] = []
    tokens_per_row: list[int] = []

    def read(module: Any, args: Any) -> None:
        tokens_per_row.append(args[0].shape[1])

    def keep(module: Any, args: Any, out: torch.Tensor) -> None:
        # A step of the batch, not a prompt prefilled alone (whose logits are its last token's only).
        if out.shape[0] == len(prompts) and tokens_per_row[-1] == 1:
            seen.append(out[row, -1].float().clone())

    model = generator._lm.model
    hooks = [model.get_input_embeddings().register_forward_pre_hook(read),
             model.get_output_embeddings().register_forward_hook(keep)]
    try:
        generator.generate_ids(prompts, max_new_tokens=[8] * len(prompts), adapter_names=adapter_names)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def _prompts(generator: HFGenerator) -> list[tuple[int, ...]]:
    return [generator.prompt_ids(PromptTemplate().messages(q), max_new_tokens=8) for q in QUESTIONS]


def _assert_same_bits(alone: list[torch.Tensor], batched: list[torch.Tensor]) -> None:
    steps = min(len(alone), len(batched))
    assert steps >= 2
    for step in range(steps):
        assert torch.equal(alone[step], batched[step]), f"step {step}: {(alone[step] - batched[step]).abs().max()}"


@native_only
def test_a_rows_logits_are_the_same_bits_alone_and_in_a_padded_batch(tiny_lm_dir: Path, tmp_path: Path) -> None:
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, dtype="bfloat16", batch_invariant=True)
    prompts = _prompts(generator)
    assert len({len(p) for p in prompts}) == len(prompts)  # every row but the longest is left-padded
    for row in range(len(prompts)):
        _assert_same_bits(_decoding_logits(generator, [prompts[row]], 0), _decoding_logits(generator, prompts, row))
    assert generator.identity.endswith("+batch-invariant-v2")  # other answers than the batched path: other cache keys


@native_only
def test_a_one_row_product_is_that_rows_result_in_any_batch() -> None:
    """oneDNN may compute a one-row bfloat16 product in another order than a batch's (measured on an AMD Zen 5,
    2048 inputs); ``use_two_row_products`` runs it as two rows, and leaves real batches of two as they are."""
    torch.manual_seed(0)
    hooked = torch.nn.Sequential(torch.nn.Linear(2048, 2048, bias=False).to(torch.bfloat16))
    use_two_row_products(hooked)
    x = torch.randn(64, 1, 2048).to(torch.bfloat16)
    with torch.inference_mode():
        for n in (2, 3, 8, 32, 64):
            batch = hooked(x[:n])
            assert batch.shape == (n, 1, 2048)
            assert all(torch.equal(hooked(x[row:row + 1])[0], batch[row]) for row in range(n)), n


@native_only
def test_a_wide_models_logits_are_the_same_bits_alone_and_in_a_batch(tmp_path: Path) -> None:
    """Wide enough (2048 inputs to ``down_proj``) for one-row products to round otherwise on some CPUs."""
    folder = build_tiny_lm(tmp_path / "wide", hidden_size=512, intermediate_size=2048, seed=1)
    generator = HFGenerator(str(folder), cache_dir=tmp_path, dtype="bfloat16", batch_invariant=True)
    prompts = _prompts(generator)
    for row in range(len(prompts)):
        _assert_same_bits(_decoding_logits(generator, [prompts[row]], 0), _decoding_logits(generator, prompts, row))


@native_only
def test_mixed_adapter_rows_answer_as_each_row_alone(tiny_lm_dir: Path, tmp_path: Path) -> None:
    """The server's batch (adapter and base rows mixed) against each row alone; the adapter stays float32 on disk
    and is computed in bfloat16 like the model (float32's small products change with the row count)."""
    from peft import PeftModel

    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None)
    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, device="cpu", dtype="bfloat16")
    peft = PeftModel.from_pretrained(lm.model, str(adapter), adapter_name="a", is_trainable=False).eval()
    generator = HFGenerator.from_loaded(lm, adapter_model=peft, identity=lm.identity, batch_invariant=True)
    prompts = _prompts(generator)
    names = ["a", BASE_ROWS, "a", BASE_ROWS]
    for row, name in enumerate(names):
        _assert_same_bits(_decoding_logits(generator, [prompts[row]], 0, [name]),
                          _decoding_logits(generator, prompts, row, names))
    assert {p.dtype for n, p in peft.named_parameters() if "lora_" in n} == {torch.bfloat16}
    # The adapter changes answers, so the rows above did run on it.
    adapted, plain = (generator.generate_ids(prompts[:1], max_new_tokens=[8], adapter_names=[n])[0].text
                      for n in ("a", BASE_ROWS))
    assert adapted != plain


def test_evaluation_keeps_the_adapter_unmerged_when_answers_must_be_batch_invariant(tiny_lm_dir: Path,
                                                                                     tmp_path: Path) -> None:
    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None)
    model = ModelConfig(base_model=str(tiny_lm_dir), cache_dir=tmp_path, dtype="bfloat16")
    merged = build_generator(model, adapter_dir=adapter)
    invariant = build_generator(ModelConfig(**{**model.__dict__, "batch_invariant": True}), adapter_dir=adapter)
    assert "+merged" in merged.identity and "+merged" not in invariant.identity
    assert invariant.identity.endswith("[bfloat16]+batch-invariant-v2")
