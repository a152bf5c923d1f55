"""The evaluation loop's bookkeeping, with a scripted generator (the real backends are tested in test_generators)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ragvsft.arms import ARMS
from ragvsft.chunking import Chunk
from ragvsft.evaluation import Arm, Retrieval, answer, score, summarize
from ragvsft.generators import Generation
from ragvsft.metrics import ClaimSupport, ContextPrecisionAtK, ContextRecallAtK, TokenF1
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair
from ragvsft.store import Hit


class Scripted:
    """Answers from a table keyed by whether the prompt had context; records what it was asked."""

    identity = "scripted"

    def __init__(self, closed: str, with_context: str) -> None:
        self.closed, self.with_context = closed, with_context
        self.seen: list = []

    def generate(self, conversations: Sequence[list[dict[str, str]]], *, max_new_tokens: int, stop: Sequence[str] = ()):
        self.seen.extend(conversations)
        return [Generation(self.with_context if "Context:" in c[-1]["content"] else self.closed, 10, 2, 50.0)
                for c in conversations]


QUESTIONS = [QAPair("q1", "Max pressure?", "14 bar", ("pump.md",), "eval", ("numeric",)),
             QAPair("q2", "Who approves?", "Ines Marlow", ("hr.md",), "eval", ("name",))]
RETRIEVED = {
    "q1": Retrieval((Hit(Chunk("pump.md#0", "pump.md", "Max pressure is 14 bar.", 0), 0.9, 1),), 3.0),
    "q2": Retrieval((Hit(Chunk("pump.md#0", "pump.md", "Max pressure is 14 bar.", 0), 0.5, 1),), 3.0),
}


def test_retrieval_arms_get_context_and_closed_book_arms_do_not() -> None:
    gen = Scripted(closed="20 bar", with_context="14 bar")
    rag, _ = answer(Arm(ARMS["rag"], gen), QUESTIONS, PromptTemplate(), contexts=RETRIEVED, max_new_tokens=8)
    base, tokens_per_s = answer(Arm(ARMS["base"], gen), QUESTIONS, PromptTemplate(), contexts=RETRIEVED,
                                max_new_tokens=8)
    assert [r.answer for r in rag] == ["14 bar", "14 bar"] and [r.answer for r in base] == ["20 bar", "20 bar"]
    assert rag[0].chunk_ids == ("pump.md#0",) and base[0].chunk_ids == ()
    assert rag[0].latency_ms == pytest.approx(53.0) and base[0].latency_ms == pytest.approx(50.0)
    assert "[1] Max pressure is 14 bar." in gen.seen[0][-1]["content"]
    assert tokens_per_s > 0
    with pytest.raises(ValueError, match="reads retrieved passages, but none were given"):
        answer(Arm(ARMS["rag"], gen), QUESTIONS, PromptTemplate(), contexts=None, max_new_tokens=8)


def test_scores_and_summary() -> None:
    gen = Scripted(closed="20 bar", with_context="14 bar")
    rag, _ = answer(Arm(ARMS["rag"], gen), QUESTIONS, PromptTemplate(), contexts=RETRIEVED, max_new_tokens=8)
    evidence = {r.qa_id: ("Max pressure is 14 bar.",) for r in rag}
    scored = score(rag, [TokenF1(), ClaimSupport(), ContextRecallAtK()], evidence, RETRIEVED)
    assert [r.scores["token_f1"] for r in scored] == [1.0, 0.0]
    assert [r.scores["faithfulness"] for r in scored] == [1.0, 1.0]
    assert [r.scores["context_recall_at_k"] for r in scored] == [1.0, 0.0]  # q2's source was not retrieved
    summary = summarize(scored, tokens_per_s=12.5)
    assert summary["token_f1"].mean == 0.5 and summary["token_f1"].n == 2
    assert summary["latency_ms_p50"] == pytest.approx(53.0) and summary["tokens_per_s"] == 12.5
    row = scored[0].row()
    assert row["arm"] == "rag" and row["chunk_ids"] == "pump.md#0" and row["token_f1"] == 1.0


def test_answers_the_question_file_also_accepts_are_scored_and_shown() -> None:
    pair = QAPair("q1", "Max pressure?", "14 bar", ("pump.md",), "eval", (), also_accept=("1.4 MPa",))
    base, _ = answer(Arm(ARMS["base"], Scripted(closed="1.4 MPa.", with_context="")), [pair], PromptTemplate(),
                     contexts=None, max_new_tokens=8)
    (scored,) = score(base, [TokenF1()], {}, None)
    assert scored.scores["token_f1"] == 1.0 and scored.row()["also_accept"] == "1.4 MPa"


def test_a_passage_retrieved_from_a_copy_of_the_source_counts_as_the_source() -> None:
    # hr.md saved twice: retrieval returns the passage once, from "hr (copy).md", naming hr.md among its copies.
    copied = {"q1": RETRIEVED["q1"], "q2": Retrieval((Hit(Chunk("hr (copy).md#0", "hr (copy).md", "Ines Marlow approves.",
                                                                 0), 0.8, 1, also_in=("hr.md",)),), 3.0)}
    rag, _ = answer(Arm(ARMS["rag"], Scripted(closed="", with_context="Ines Marlow")), QUESTIONS, PromptTemplate(),
                    contexts=copied, max_new_tokens=8)
    scored = score(rag, [ContextRecallAtK(), ContextPrecisionAtK()], {}, copied)
    assert [(r.scores["context_recall_at_k"], r.scores["context_precision_at_k"]) for r in scored] == [(1.0, 1.0)] * 2


def test_oracle_arms_see_the_gold_passages_and_skip_questions_without_sources() -> None:
    gen = Scripted(closed="20 bar", with_context="14 bar")
    oracle = {"q1": Retrieval((Hit(Chunk("pump.md#2", "pump.md", "The limit is 14 bar.", 90), 0.7, 1),), 1.0)}
    records, _ = answer(Arm(ARMS["oracle"], gen), QUESTIONS, PromptTemplate(), contexts=oracle, max_new_tokens=8)
    assert [r.qa_id for r in records] == ["q1"] and records[0].chunk_ids == ("pump.md#2",)
    assert "[1] The limit is 14 bar." in gen.seen[-1][-1]["content"]
    scored = score(records, [ContextRecallAtK()], {"q1": ("The limit is 14 bar.",)}, oracle)
    assert scored[0].scores["context_recall_at_k"] == 1.0


def test_every_arm_gets_the_same_shots_before_its_question() -> None:
    gen = Scripted(closed="20 bar", with_context="14 bar")
    shots = {"q1": (("Max pressure of the X-100?", "12 bar"),)}
    for arm, contexts in ((ARMS["base"], None), (ARMS["rag"], RETRIEVED)):
        answer(Arm(arm, gen), QUESTIONS, PromptTemplate(system=""), contexts=contexts, shots=shots, max_new_tokens=8)
    base_q1, _, rag_q1, rag_q2 = gen.seen
    assert [m["content"] for m in base_q1[:2]] == ["Question: Max pressure of the X-100?", "12 bar"]
    assert rag_q1[:2] == base_q1[:2] and rag_q1[-1]["content"].startswith("Context:")
    assert len(rag_q2) == 1  # q2 has no shots
