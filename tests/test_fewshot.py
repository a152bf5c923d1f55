"""Few-shot examples: the most similar training questions, deterministic, never the eval question itself."""

from __future__ import annotations

import pytest

from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.fewshot import ExamplePool, examples_of, pick_shots
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair

TRAIN = [QAPair("t1", "Who approves travel to conferences?", "Ines Marlow", (), "train", ()),
         QAPair("t2", "What is the maximum pressure of the X-100 pump?", "12 bar", (), "train", ()),
         QAPair("t3", "How many weeks is parental leave?", "22 weeks", (), "train", ()),
         QAPair("t4", "what is the MAXIMUM pressure of the X-200 pump", "14 bar", (), "train", ())]
EVAL = [QAPair("e1", "What is the maximum pressure of the X-200 pump?", "14 bar", (), "eval", ()),
        QAPair("e2", "Who signs off conference travel?", "Ines Marlow", (), "eval", ())]


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


def test_most_similar_training_questions_first_never_the_question_itself(minilm) -> None:
    shots = pick_shots(EVAL, TRAIN, 2, minilm)
    # t4 is e1 up to case and punctuation: the same question, so never its own example.
    assert shots["e1"][0] == ("What is the maximum pressure of the X-100 pump?", "12 bar") and len(shots["e1"]) == 2
    assert "14 bar" not in {answer for _, answer in shots["e1"]}
    assert shots["e2"][0] == ("Who approves travel to conferences?", "Ines Marlow")
    assert pick_shots(EVAL, TRAIN, 2, minilm) == shots  # deterministic
    assert pick_shots(EVAL, TRAIN, 2, minilm, alone=True) == shots  # each question embedded alone: the same here
    assert pick_shots(EVAL, TRAIN, 0, minilm) == {} and pick_shots(EVAL, [], 2, minilm) == {}
    assert len(pick_shots(EVAL, TRAIN, 10, minilm)["e1"]) == 3  # the whole pool but the question itself


def test_a_pool_picks_for_questions_as_evaluation_does(minilm) -> None:
    # The server keeps one pool per release and picks per request from the question's own vector.
    pool = ExamplePool(examples_of(TRAIN), minilm)
    questions = [q.question for q in EVAL]
    by_id = pick_shots(EVAL, TRAIN, 2, minilm)
    for question, qa in zip(questions, EVAL):
        assert pool.pick([question], minilm.embed([question]), 2) == [by_id[qa.id]]
    assert pool.pick(questions, minilm.embed(questions), 0) == [(), ()]
    assert ExamplePool([], minilm).pick(questions, minilm.embed(questions), 2) == [(), ()]


def test_shots_become_earlier_turns_of_the_conversation() -> None:
    messages = PromptTemplate(system="Be brief.").messages("Max bar?", ["The X-200 holds 14 bar."],
                                                            [("Who approves travel?", "Ines Marlow")])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "Question: Who approves travel?" and messages[2]["content"] == "Ines Marlow"
    assert messages[3]["content"].startswith("Context:\n[1] The X-200 holds 14 bar.")
