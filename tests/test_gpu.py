"""The CUDA path: what a GPU box changes (bfloat16 by default, training there, adapters that travel to a laptop).

Deselected by default (CI has no GPU); on a GPU box run ``scripts/test.sh -m gpu``, and the rest of the suite too:
every test that loads a model with ``device="auto"`` then runs on the GPU as well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_finetune import FACTS, PAIRS, TEMPLATE, TINY

from ragvsft.device import dtype_for, inference_dtype, native_bfloat16, resolve_device
from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.finetune.adapter import save_adapter
from ragvsft.finetune.data import closed_book_examples
from ragvsft.finetune.lora import train_lora
from ragvsft.generators import HFGenerator
from ragvsft.models import load_lm

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA GPU")]

TEXTS = ["Parental leave is 22 weeks.", "Flights under 6 hours are economy class.", "Error E17 means the seal failed.",
         "Requests go to Ines Marlow."] * 5


def test_auto_picks_the_gpu_in_bfloat16_where_it_has_it(tiny_lm_dir: Path, tmp_path: Path) -> None:
    device = resolve_device("auto")
    assert device.startswith("cuda")
    bf16 = torch.cuda.is_bf16_supported()
    assert native_bfloat16(device) is bf16
    assert inference_dtype("auto", "auto") == ("bfloat16" if bf16 else "float32")
    assert inference_dtype("auto", "float32") == "float32"
    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path)  # training weights: dtype_for the device
    assert lm.model.device.type == "cuda" and lm.model.dtype == dtype_for(device)
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, dtype="auto")
    assert generator.identity.endswith("[bfloat16]") is bf16


def test_an_adapter_trained_on_the_gpu_answers_the_same_on_a_cpu(tiny_lm_dir: Path, tmp_path: Path) -> None:
    # The GPU box trains; a laptop or a CPU server serves. The adapter must carry what was learnt across.
    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path)
    examples = closed_book_examples(PAIRS, TEMPLATE)
    result = train_lora(lm, examples, TINY)
    assert next(result.model.parameters()).device.type == "cuda"
    assert result.losses[-1] < 0.1 * result.losses[0]
    folder = tmp_path / "adapter"
    save_adapter(result.model, folder, base_model_identity=lm.identity, base_model_path=str(lm.path), settings=TINY,
                 seed=0, train_ids=[e.id for e in examples])

    conversations = [TEMPLATE.messages(question) for question, _ in FACTS]
    gold = [answer for _, answer in FACTS]
    answers = {device: [g.text for g in HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, adapter=folder,
                                                    device=device).generate(conversations, max_new_tokens=12)]
               for device in ("cuda", "cpu")}
    assert sum(a == g for a, g in zip(answers["cuda"], gold)) >= 7
    assert sum(a == g for a, g in zip(answers["cpu"], gold)) >= 7
    assert sum(a == b for a, b in zip(answers["cuda"], answers["cpu"])) >= 7


def test_a_mixed_adapter_batch_on_the_gpu_answers_like_separate_batches(tiny_lm_dir: Path, tmp_path: Path) -> None:
    # What the server does: base and adapter rows in one generate call (PEFT's per-row adapter_names), float32.
    from lm_fixtures import lora_adapter

    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=None)
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, adapter=adapter, device="cuda")
    prompts = [list(generator.prompt_ids(TEMPLATE.messages(q), max_new_tokens=8)) for q, _ in FACTS[:4]]
    names = ["__base__", "default", "__base__", "default"]
    mixed = generator.generate_ids(prompts, max_new_tokens=[8] * 4, adapter_names=names)
    alone = {name: generator.generate_ids(prompts, max_new_tokens=[8] * 4, adapter_names=[name] * 4)
             for name in ("__base__", "default")}
    assert [g.text for g in mixed] == [alone[name][row].text for row, name in enumerate(names)]
    assert [g.text for g in alone["__base__"]] != [g.text for g in alone["default"]]


def test_embeddings_on_the_gpu_match_the_cpu(tiny_embedder_dir: Path) -> None:
    cpu = SentenceTransformerEmbedder(str(tiny_embedder_dir), device="cpu").embed(TEXTS)
    gpu = SentenceTransformerEmbedder(str(tiny_embedder_dir), device="cuda").embed(TEXTS)
    assert gpu.dtype == np.float32 and np.min(np.sum(cpu * gpu, axis=1)) > 0.9999
    fast = SentenceTransformerEmbedder(str(tiny_embedder_dir), device="cuda", dtype="auto")
    vectors = fast.embed(TEXTS)
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(cpu * vectors, axis=1)) > 0.99


def test_batch_invariant_answers_keep_their_bits_in_a_padded_batch_on_the_gpu(tmp_path: Path) -> None:
    """``model.batch_invariant`` on CUDA: a wide model's logits (2,048 inputs to ``down_proj``) at every decoding
    step are the same bits alone and in a left-padded batch of four prompts of different lengths. Without the
    setting they were not (0 of 28 steps on an H200); with it, 32 of 32."""
    from test_batch_invariant import _assert_same_bits, _decoding_logits, _prompts

    from lm_fixtures import build_tiny_lm

    folder = build_tiny_lm(tmp_path / "wide", hidden_size=512, intermediate_size=2048, seed=1)
    generator = HFGenerator(str(folder), cache_dir=tmp_path, device="cuda", dtype="bfloat16", batch_invariant=True)
    prompts = _prompts(generator)
    for row in range(len(prompts)):
        _assert_same_bits(_decoding_logits(generator, [prompts[row]], 0), _decoding_logits(generator, prompts, row))
