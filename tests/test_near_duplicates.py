"""Near-duplicate questions found block by block: the same pairs whatever the block size (the cosine matrix is
built ``BLOCK`` rows at a time so that memory grows with one side of a large question set only)."""

from __future__ import annotations

import numpy as np
import pytest

from ragvsft import near_duplicates
from ragvsft.qa import QAPair


class FixedVectors:
    """An embedder whose vectors are given: the set logic under test, not a model's idea of similarity."""

    def __init__(self, angles: dict[str, float]) -> None:
        self.angles = angles

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.array([[np.cos(self.angles[t]), np.sin(self.angles[t])] for t in texts], dtype=np.float32)


ANGLES = {  # cosine between two questions = cos(angle difference); the threshold below is 0.9 (~0.45 rad)
    "How long is leave?": 0.0, "How long is parental leave?": 0.1, "What is the leave length?": 0.4,
    "Who approves leave in 2024?": 0.05, "Who signs travel?": 2.0, "Who approves travel?": 2.05,
    "Which form covers travel?": 2.4, "Where is the office?": 4.0,
}


@pytest.mark.parametrize("block", [1, 2, 1024])
def test_leaks_are_the_most_similar_twin_with_the_same_answer_and_codes(monkeypatch: pytest.MonkeyPatch,
                                                                        block: int) -> None:
    monkeypatch.setattr(near_duplicates, "BLOCK", block)
    pairs = [QAPair("t1", "How long is leave?", "22 weeks", (), "train", ()),
             QAPair("t2", "What is the leave length?", "22 weeks", (), "train", ()),
             QAPair("t3", "Who signs travel?", "the manager", (), "train", ()),
             QAPair("e1", "How long is parental leave?", "22 weeks of leave", (), "eval", ()),  # t1 (0.995), t2
             QAPair("e2", "Who approves leave in 2024?", "22 weeks", (), "eval", ()),  # close, but names 2024
             QAPair("e3", "Who approves travel?", "the line manager", (), "eval", ()),  # t3
             QAPair("e4", "Where is the office?", "Floor 2", (), "eval", ())]
    leaks = near_duplicates.train_eval_leaks(pairs, FixedVectors(ANGLES), 0.9)
    assert [(leak.eval_id, leak.train_id) for leak in leaks] == [("e3", "t3"), ("e1", "t1")]
    assert leaks[0].similarity == pytest.approx(np.cos(0.05), abs=1e-6)


@pytest.mark.parametrize("block", [1, 3, 1024])
def test_a_question_is_dropped_only_for_a_kept_twin(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(near_duplicates, "BLOCK", block)
    questions = ["How long is leave?", "How long is parental leave?", "What is the leave length?",
                 "Who signs travel?", "Who approves travel?", "Which form covers travel?"]
    answers = ["22 weeks", "22 weeks", "22 weeks", "the manager", "the manager", "the manager"]
    # At 0.9 every leave question is within reach of 0 (cosines 0.995, 0.92) and every travel one of 3.
    assert near_duplicates.keep_distinct(questions, answers, FixedVectors(ANGLES), 0.9) == [0, 3]
    # At 0.95, 2 is close only to 1 (0.955), which was dropped for 0: 2 stays; so does 5 (close only to 4).
    assert near_duplicates.keep_distinct(questions, answers, FixedVectors(ANGLES), 0.95) == [0, 2, 3, 5]
