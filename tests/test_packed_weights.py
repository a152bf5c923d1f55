"""Packed bfloat16 weights for decoding (``ragvsft.generators.packed_weights``): few rows take the packed copy,
many rows the plain weight, and no answer changes — alone, batched, and under PEFT adapters as the server runs them.

Packing needs bfloat16 on a CPU with AMX; elsewhere only the tests of what must stay unpacked run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lm_fixtures import lora_adapter
from ragvsft.generators import HFGenerator
from ragvsft.generators.hf import BASE_ROWS
from ragvsft.generators.packed_weights import PackedLinear, pack_for_decoding, packing_supported
from ragvsft.models import load_lm
from ragvsft.prompts import PromptTemplate

AMX = packing_supported(nn.Linear(4, 4).to(torch.bfloat16))
needs_amx = pytest.mark.skipif(not AMX, reason="packing needs bfloat16 on a CPU with AMX")
QUESTIONS = ["How long is parental leave?", "Who books travel?", "What does error E17 mean?",
             "What is the X-200's maximum pressure?", "Which class are short flights?"]


def _packed(model: nn.Module) -> list[PackedLinear]:
    return [m for m in model.modules() if isinstance(m, PackedLinear)]


@needs_amx
@pytest.mark.parametrize("batch_size", [1, 3])
def test_packed_answers_equal_the_plain_bfloat16_answers(tiny_lm_dir: Path, tmp_path: Path, batch_size: int) -> None:
    conversations = [PromptTemplate().messages(q) for q in QUESTIONS]
    plain, packed = (HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, dtype="bfloat16", batch_size=batch_size,
                                 pack_weights=pack) for pack in (False, True))
    assert not _packed(plain._net)
    layers = _packed(packed._net)
    assert len(layers) == 15  # 2 layers x 7 projections + lm_head
    a = plain.generate(conversations, max_new_tokens=12)
    b = packed.generate(conversations, max_new_tokens=12)
    assert [(g.text, g.new_tokens) for g in a] == [(g.text, g.new_tokens) for g in b]
    # Decoding ran its rows (a batch's rows, then fewer as the batch's answers end) through the packed copies,
    # each row count checked exact on first use; prefill (a prompt's tokens x rows, over 32) took the plain weight.
    seen = {rows: exact for m in layers for rows, exact in m.exact_rows.items()}
    assert batch_size in seen and all(seen.values())
    assert packed.identity == plain.identity  # same answers, so cached answers stay valid


@needs_amx
def test_few_rows_take_the_packed_copy_and_many_rows_the_plain_weight() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 48, bias=True)).to(torch.bfloat16)
    assert pack_for_decoding(model) == 1
    layer = model[0]
    assert isinstance(layer, nn.Linear) and set(layer.state_dict()) == {"weight", "bias"}  # nothing new saved
    x_few, x_many = torch.randn(3, 64, dtype=torch.bfloat16), torch.randn(2, 40, 64, dtype=torch.bfloat16)
    with torch.inference_mode():
        expected_few = F.linear(x_few, layer.weight, layer.bias)
        assert torch.equal(layer(x_few), expected_few) and layer.exact_rows == {3: True}  # checked on first use
        layer.weight.zero_()  # only the plain weight: products that read the packed copy do not see this
        assert torch.equal(layer(x_few), expected_few)
        assert torch.equal(layer(x_many), F.linear(x_many, layer.weight, layer.bias))  # 80 rows: the plain weight
        assert torch.equal(layer(x_many), layer.bias.expand(2, 40, 48))


@needs_amx
def test_training_takes_the_plain_weight_and_gets_gradients() -> None:
    model = nn.Sequential(nn.Linear(16, 8)).to(torch.bfloat16)
    pack_for_decoding(model)
    x = torch.randn(2, 16, dtype=torch.bfloat16, requires_grad=True)
    model(x).float().sum().backward()  # the oneDNN product has no backward; the plain one does
    assert x.grad is not None and model[0].weight.grad is not None


@needs_amx
def test_a_row_count_whose_packed_product_differs_takes_the_plain_weight() -> None:
    model = nn.Sequential(nn.Linear(16, 24), nn.Linear(16, 24)).to(torch.bfloat16)
    assert pack_for_decoding(model) == 2
    first, second = model
    assert first.exact_rows is second.exact_rows  # one verdict per shape and row count
    first.packed_weight = torch.ops.mkldnn._reorder_linear_weight((first.weight * 1.5).contiguous(), 1)  # wrong
    x = torch.randn(2, 16, dtype=torch.bfloat16)
    with torch.inference_mode():
        assert torch.equal(first(x), F.linear(x, first.weight, first.bias))
    assert first.exact_rows == {2: False}


@needs_amx
def test_packing_twice_changes_nothing_the_second_time() -> None:
    model = nn.Sequential(nn.Linear(16, 8), nn.Linear(8, 4)).to(torch.bfloat16)
    assert pack_for_decoding(model) == 2
    first = model[0].packed_weight
    assert pack_for_decoding(model) == 0 and model[0].packed_weight is first


def test_float32_and_modules_without_weights_are_not_packed() -> None:
    model = nn.Sequential(nn.Linear(16, 8))
    assert not packing_supported(model) and pack_for_decoding(model) == 0 and type(model[0]) is nn.Linear
    assert not packing_supported(nn.ReLU())


@needs_amx
def test_adapters_wrapped_around_a_packed_base_answer_as_around_a_plain_one(tiny_lm_dir: Path, tmp_path: Path) -> None:
    """The server's order: a generator for the base model packs it, then PEFT wraps the packed layers."""
    from peft import PeftModel

    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None)
    template = PromptTemplate()
    answers = []
    for pack in (False, True):
        lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, device="cpu", dtype="bfloat16")
        HFGenerator.from_loaded(lm, pack_weights=pack)
        peft = PeftModel.from_pretrained(lm.model, str(adapter), adapter_name="a", is_trainable=False).eval()
        generator = HFGenerator.from_loaded(lm, adapter_model=peft, identity=lm.identity, pack_weights=pack)
        assert bool(_packed(peft)) is pack
        prompts = [generator.prompt_ids(template.messages(q), max_new_tokens=10) for q in QUESTIONS[:4]]
        rows = generator.generate_ids(prompts, max_new_tokens=[10] * 4, adapter_names=["a", BASE_ROWS, "a", BASE_ROWS])
        answers.append([(g.text, g.new_tokens) for g in rows])
    assert answers[0] == answers[1]
