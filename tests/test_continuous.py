"""The running batch (``ragvsft.generators.continuous``): rows join between steps and leave when done, and each
answers as it would alone (float32); its cache layers grow in place (``ragvsft.generators.roomy_cache``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ragvsft.errors import RagvsftError
from ragvsft.generators import HFGenerator
from ragvsft.generators.continuous import Row, RunningBatch
from ragvsft.prompts import PromptTemplate

QUESTIONS = ["Who books travel?", "How long is parental leave at Orvane Instruments, and who approves requests?",
             "What does error E17 mean?", "What is the X-200's maximum pressure? Answer from the manual, please."]


def _prompts(generator: HFGenerator) -> list[tuple[int, ...]]:
    return [generator.prompt_ids(PromptTemplate().messages(q), max_new_tokens=12) for q in QUESTIONS]


def _run(batch: RunningBatch, answers: dict[int, list[int]], steps: int | None = None) -> None:
    while batch.rows and steps != 0:
        answers.update((row.tag, row.new) for row in batch.step())
        steps = None if steps is None else steps - 1


def test_rows_joining_and_leaving_mid_decoding_compute_as_alone(tiny_lm_dir: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row's logits at every step, in a batch that rows join and leave, against ``generate`` on the prompt
    alone (float32: equal to rounding); a mistake in padding, positions or the cache's rows would change them."""
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path)
    prompts, limits = _prompts(generator), [12, 3, 12, 7]
    assert len({len(p) for p in prompts}) == len(prompts)  # every row but the longest is left-padded
    device = generator._net.device  # on a GPU box, the GPU
    alone = [generator._net.generate(input_ids=torch.tensor([p], device=device), max_new_tokens=n, min_new_tokens=n,
                                     do_sample=False, output_logits=True, return_dict_in_generate=True)
             for p, n in zip(prompts, limits)]

    batch = generator.running_batch()
    seen: dict[int, list[torch.Tensor]] = {i: [] for i in range(4)}
    joining: list[int] = []
    prefill, decode_step = generator.prefill, generator.decode_step

    def record(tags: list[int], logits: torch.Tensor) -> torch.Tensor:
        for tag, row in zip(tags, logits):
            seen[tag].append(row)
        return logits

    monkeypatch.setattr(generator, "prefill", lambda *a: (lambda c, lg: (c, record(joining, lg)))(*prefill(*a)))
    monkeypatch.setattr(generator, "decode_step", lambda *a: record([r.tag for r in batch.rows], decode_step(*a)))
    monkeypatch.setattr(generator, "_eos_ids", [])  # the tiny model may say its end token early: run every budget

    answers: dict[int, list[int]] = {}
    joining[:] = [0, 1]
    batch.admit([Row(prompts[i], limits[i], tag=i) for i in joining])
    _run(batch, answers, steps=3)
    assert 1 in answers and [r.tag for r in batch.rows] == [0]  # the 3-token answer left; the other decodes on
    joining[:] = [2, 3]
    batch.admit([Row(prompts[i], limits[i], tag=i) for i in joining])  # longer prompts join a running row
    assert [r.batch_rows for r in batch.rows] == [2, 3, 3]
    _run(batch, answers)
    for i, out in enumerate(alone):
        assert answers[i] == out.sequences[0, len(prompts[i]):].tolist()
        assert len(seen[i]) == limits[i]
        for step, logits in enumerate(out.logits):
            torch.testing.assert_close(seen[i][step], logits[0].float(), atol=1e-5, rtol=1e-5)
    assert batch._cache is None and batch._mask is None  # nothing kept once every row left


def test_the_cache_loses_padding_columns_when_the_longest_row_leaves(tiny_lm_dir: Path, tmp_path: Path) -> None:
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path)
    short, long = _prompts(generator)[0], _prompts(generator)[1]
    batch = generator.running_batch()
    batch.admit([Row(long, 1, tag="long"), Row(short, 5, tag="short")])
    assert batch._mask.shape[1] == len(long)
    assert [r.tag for r in batch.step()] == ["long"]  # finished on the token its prefill gave
    assert batch._mask.shape == (1, len(short) + 1) and bool(batch._mask.all())
    assert batch._cache.layers[0].keys.shape[0] == 1 and batch._cache.layers[0].keys.shape[2] == len(short) + 1


def test_rows_taken_out_unanswered_leave_the_others_answering_as_alone(tiny_lm_dir: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that went away: its row leaves mid-decoding (or just after joining, before its first step shows
    it) and is never returned; the rows left answer as they would alone."""
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path)
    monkeypatch.setattr(generator, "_eos_ids", [])
    prompts = _prompts(generator)
    alone: dict[int, list[int]] = {}
    for i in (0, 2):
        single = generator.running_batch()
        single.admit([Row(prompts[i], 8, tag=i)])
        _run(single, alone)
    batch = generator.running_batch()
    rows = [Row(prompts[i], 8, tag=i) for i in range(3)]
    batch.admit(rows)
    _run(batch, answers := {}, steps=2)
    batch.leave([rows[1]])  # the longest prompt: the cache also loses its padding columns
    late = Row(prompts[3], 8, tag=3)
    batch.admit([late])
    batch.leave([late])  # joined, not yet stepped
    _run(batch, answers)
    assert answers == alone and batch._cache is None


def test_a_failed_step_empties_the_batch_and_bad_prompts_change_nothing(tiny_lm_dir: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    generator = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path)
    batch = generator.running_batch()
    batch.admit([Row(_prompts(generator)[0], 8, tag=0)])
    with pytest.raises(RagvsftError, match="empty"):
        batch.admit([Row((), 8, tag=1)])
    assert [r.tag for r in batch.rows] == [0]
    batch.step()
    monkeypatch.setattr(generator, "decode_step", lambda *a: (_ for _ in ()).throw(RuntimeError("out of memory")))
    with pytest.raises(RuntimeError, match="out of memory"):
        batch.step()
    assert not batch.rows and batch._cache is None


def test_roomy_cache_layers_hold_what_dynamic_ones_hold() -> None:
    from transformers import DynamicCache

    from ragvsft.generators.roomy_cache import ROOM, RoomyLayer, with_room

    torch.manual_seed(0)
    first = [(torch.randn(2, 3, 5, 4), torch.randn(2, 3, 5, 4))]
    plain, roomy = DynamicCache(first), with_room(DynamicCache(first))
    assert type(roomy.layers[0]) is RoomyLayer
    for _ in range(ROOM + 3):  # past the first buffer's room: it is copied into a larger one once
        k, v = torch.randn(2, 3, 1, 4), torch.randn(2, 3, 1, 4)
        expected, got = plain.layers[0].update(k, v), roomy.layers[0].update(k, v)
        assert torch.equal(expected[0], got[0]) and torch.equal(expected[1], got[1])
    assert roomy.get_seq_length() == plain.get_seq_length() == 5 + ROOM + 3
