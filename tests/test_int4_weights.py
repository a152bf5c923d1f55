"""4-bit weights for decoding (``model.int4_decoding``, ``ragvsft.generators.int4_weights``): which products take the
4-bit copy, that its rounding is the one documented, that a row's result does not depend on its batch, and that an
adapter still applies (unmerged) in evaluation and in the server's mixed batches."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lm_fixtures import decoded_together, lora_adapter
from ragvsft.builders import build_generator
from ragvsft.config import ModelConfig
from ragvsft.device import bfloat16_hardware
from ragvsft.generators import HFGenerator
from ragvsft.generators.hf import BASE_ROWS
from ragvsft.generators.int4_weights import (
    GROUP,
    LEVELS,
    MAX_ROWS,
    Int4Linear,
    int4_supported,
    merge_beside_int4,
    quantize,
    quantize_for_decoding,
)
from ragvsft.models import load_lm
from ragvsft.prompts import PromptTemplate

pytestmark = pytest.mark.skipif(not int4_supported(), reason="this torch build lacks the CPU 4-bit kernels")


def _layer(outputs: int = 48, inputs: int = 64, *, bias: bool = False, dtype: torch.dtype = torch.float32) -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(inputs, outputs, bias=bias).to(dtype)


def test_each_weight_is_rounded_to_one_of_16_levels_of_its_group() -> None:
    layer = _layer()
    packed, scales = quantize(layer.weight)
    # The kernel times the identity gives back the weight it computes with, one input per row.
    dequantized = torch.ops.aten._weight_int4pack_mm_for_cpu(torch.eye(64), packed, GROUP, scales).t()
    weight = layer.weight.detach()
    groups = weight.reshape(48, 64 // GROUP, GROUP)
    step = ((groups.amax(-1) - groups.amin(-1)) / LEVELS).repeat_interleave(GROUP, dim=1)
    assert (dequantized - weight).abs().le(step / 2 + 1e-6).all()  # within half a level of the weight
    assert not torch.equal(dequantized, weight)
    levels = ((dequantized - groups.amin(-1).repeat_interleave(GROUP, dim=1)) / step).round()
    assert levels.min() == 0 and levels.max() == LEVELS and levels.unique().numel() == LEVELS + 1


def test_one_token_per_row_takes_the_4_bit_copy_and_everything_else_the_full_weight() -> None:
    layer = _layer(bias=True, dtype=torch.bfloat16)
    full = nn.Linear(64, 48, bias=True).to(torch.bfloat16)
    full.load_state_dict(layer.state_dict())
    assert quantize_for_decoding(layer) == 1 and isinstance(layer, Int4Linear)
    step, prompt = torch.randn(3, 1, 64).to(torch.bfloat16), torch.randn(3, 5, 64).to(torch.bfloat16)
    with torch.no_grad():
        decoded = layer(step)
        assert not torch.equal(decoded, full(step))
        assert torch.allclose(decoded, full(step), atol=0.15)  # rounded, not garbage
        assert torch.equal(layer(prompt), full(prompt))  # prefill: the full weight, bit for bit
        many = torch.randn(MAX_ROWS + 1, 1, 64).to(torch.bfloat16)
        assert torch.equal(layer(many), full(many))  # more rows than pay: the full weight
    assert torch.equal(layer(step), full(step))  # gradients on (training): the full weight
    assert layer.state_dict().keys() == full.state_dict().keys()  # the copy is not a parameter or a buffer


def test_a_rows_4_bit_product_is_the_same_bits_in_any_batch() -> None:
    layer = _layer(dtype=torch.bfloat16)
    quantize_for_decoding(layer, max_rows=None)  # as under model.batch_invariant: 4 bits at any row count
    rows = torch.randn(40, 1, 64).to(torch.bfloat16)
    with torch.no_grad():
        together = layer(rows)
        assert not torch.equal(together, F.linear(rows, layer.weight))  # the 4-bit copy computed these
        for count in (1, 2, 7, 13, 32):
            assert torch.equal(layer(rows[:count]), together[:count]), count


def test_layers_the_kernel_cannot_take_keep_their_weight() -> None:
    model = nn.Sequential(nn.Linear(64, 48), nn.Linear(48, 48), nn.Linear(64, 40), nn.Linear(64, 32))
    assert quantize_for_decoding(model) == 0  # float32: the kernel has no fast path for it
    model = model.to(torch.bfloat16)
    assert quantize_for_decoding(model, keep=model[3]) == 1  # 48 inputs (groups of 32), 40 outputs (blocks of 16)
    assert [type(m) for m in model] == [Int4Linear, nn.Linear, nn.Linear, nn.Linear]
    assert quantize_for_decoding(model) == 2  # quantised layers are counted, not quantised again


def test_the_generator_keeps_the_logits_layer_and_the_adapter_as_trained(tiny_lm_dir: Path, tmp_path: Path) -> None:
    # Rank 16: the adapter's own layers (32 -> 16) have shapes the 4-bit kernel takes, and must still be left alone.
    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None, rank=16)
    config = ModelConfig(base_model=str(tiny_lm_dir), cache_dir=tmp_path, dtype="bfloat16")
    quantized = ModelConfig(**{**config.__dict__, "int4_decoding": True})
    plain, four_bit = build_generator(config), build_generator(quantized)
    assert four_bit.identity == plain.identity + "+int4-decoding"  # other answers: other cache keys
    model = four_bit._lm.model
    assert not isinstance(model.get_output_embeddings(), Int4Linear)
    assert sum(isinstance(m, Int4Linear) for m in model.modules()) == 14  # 2 layers x 7 projections
    adapted = build_generator(quantized, adapter_dir=adapter)
    merged = build_generator(config, adapter_dir=adapter)
    assert adapted.identity == merged.identity + "+int4-decoding"
    layers = dict(adapted._net.named_modules())
    assert sum(isinstance(m, Int4Linear) for m in layers.values()) == 14
    # q_proj and v_proj (the adapter's targets) carry its low-rank term beside their 4-bit copy of the base weight
    assert sorted(n.rsplit(".", 1)[1] for n, m in layers.items() if getattr(m, "int4_lora", None) is not None) == \
        ["q_proj", "q_proj", "v_proj", "v_proj"]
    questions = [PromptTemplate().messages(q) for q in ("Who books travel?", "What does error E17 mean?")]
    with_adapter = [g.text for g in adapted.generate(questions, max_new_tokens=8)]
    assert with_adapter != [g.text for g in four_bit.generate(questions, max_new_tokens=8)]  # the adapter applies
    float32 = build_generator(ModelConfig(**{**quantized.__dict__, "dtype": "float32"}), adapter_dir=adapter)
    assert "+int4" not in float32.identity and "+merged" in float32.identity  # no 4-bit copy: merged as usual


def _peft_model(tiny_lm_dir: Path, tmp_path: Path, adapter: Path):
    from peft import PeftModel

    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, device="cpu", dtype="bfloat16")
    return PeftModel.from_pretrained(lm.model, str(adapter), is_trainable=False).eval()


def test_a_merged_adapter_prefills_merged_and_decodes_on_the_4_bit_base_weights(tiny_lm_dir: Path,
                                                                               tmp_path: Path) -> None:
    """Evaluation's path (``merge_beside_int4``): prompts see the merged full-precision weights, bit for bit, and a
    decoding step the 4-bit copies of the base weights plus the adapter's term, as PEFT computes it unmerged."""
    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None, rank=16)
    unmerged, beside = _peft_model(tiny_lm_dir, tmp_path, adapter), _peft_model(tiny_lm_dir, tmp_path, adapter)
    merged = _peft_model(tiny_lm_dir, tmp_path, adapter).merge_and_unload()
    assert quantize_for_decoding(unmerged, keep=unmerged.get_output_embeddings()) == 14
    beside = merge_beside_int4(beside, keep=beside.get_output_embeddings())
    assert sum(isinstance(m, Int4Linear) for m in beside.modules()) == 14
    prompt, token = torch.tensor([[5, 17, 42, 8, 99, 3]]), torch.tensor([[5], [17]])
    with torch.inference_mode():
        assert torch.equal(beside(prompt).logits, merged(prompt).logits)
        step, peft_step = beside(token).logits, unmerged(token).logits
        with unmerged.disable_adapter():
            base_step = unmerged(token).logits
    effect = (peft_step - base_step).abs().max()
    assert effect > 0.1  # the adapter moves the logits: the comparison below can tell its term is there
    assert (step - peft_step).abs().max() < 0.05 * effect  # its term, as PEFT's (bfloat16 rounding apart)
    assert not torch.equal(step, merged(token).logits)  # and the 4-bit copy, not the merged weight


def test_an_adapter_beyond_b_times_a_decodes_with_its_merged_weight(tiny_lm_dir: Path, tmp_path: Path) -> None:
    """DoRA scales the merged weight too: the low-rank term alone would leave that out, so such a layer decodes with
    the merged weight (given its own 4-bit copy when the generator is built) instead of the base weight's copy."""
    from peft import LoraConfig, get_peft_model

    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, device="cpu", dtype="bfloat16")
    torch.manual_seed(0)
    dora = get_peft_model(lm.model, LoraConfig(r=16, target_modules=["q_proj"], use_dora=True,
                                               init_lora_weights=False)).eval()
    model = merge_beside_int4(dora, keep=dora.get_output_embeddings())
    q_proj = model.model.layers[0].self_attn.q_proj
    assert type(q_proj) is nn.Linear and not hasattr(q_proj, "int4_weight")
    assert all(m.int4_lora is None for m in model.modules() if isinstance(m, Int4Linear))


@pytest.mark.skipif(not bfloat16_hardware("cpu"), reason="bit for bit where the CPU computes bfloat16 (AMX)")
def test_the_servers_mixed_batch_answers_as_each_row_alone(tiny_lm_dir: Path, tmp_path: Path) -> None:
    """Base and adapter rows in one batch over 4-bit layers, against each row alone: batch-invariant answers still
    hold with 4-bit decoding, which then takes the 4-bit copy at every row count."""
    from peft import PeftModel

    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None, rank=16)
    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, device="cpu", dtype="bfloat16")
    peft = PeftModel.from_pretrained(lm.model, str(adapter), adapter_name="a", is_trainable=False).eval()
    generator = HFGenerator.from_loaded(lm, adapter_model=peft, identity=lm.identity, int4_decoding=True,
                                        batch_invariant=True)
    assert {m.int4_max_rows for m in peft.modules() if isinstance(m, Int4Linear)} == {None}
    questions = ["Who books travel?", "How long is parental leave?", "What does error E17 mean?", "Who approves?"]
    prompts = [generator.prompt_ids(PromptTemplate().messages(q), max_new_tokens=8) for q in questions]
    names = ["a", BASE_ROWS, "a", BASE_ROWS]
    together = decoded_together(generator, prompts, names, 8)
    alone = [generator.generate_ids([p], max_new_tokens=[8], adapter_names=[n])[0] for p, n in zip(prompts, names)]
    assert together == [g.text for g in alone]
    assert together[0] != generator.generate_ids(prompts[:1], max_new_tokens=[8], adapter_names=[BASE_ROWS])[0].text

