"""Numbers written in words: do the lexical metrics score a right answer as right when it, or its evidence, writes
a number in words rather than digits?

Every eval question of the demo and incidents corpora whose gold answer holds a plain integer (not part of a
code, a decimal or a time) is scored twice: the gold answer with its integers written in words against the
digits (exact match, token F1) and against its source documents (faithfulness); and the gold answer in digits
against its documents with their integers written in words. Right answers all: 1.0 is the ideal in every cell.
Run it from another checkout (``PYTHONPATH=<checkout>/platform``) to compare definitions.

    .venv/bin/python benchmarks/numbers_in_words.py
"""

from __future__ import annotations

import importlib.util
import re
import statistics
from pathlib import Path

from ragvsft.corpus import load_corpus
from ragvsft.metrics.base import Sample
from ragvsft.metrics.correctness import ExactMatch, TokenF1
from ragvsft.metrics.faithfulness import ClaimSupport, TokenSupport

ROOT = Path(__file__).resolve().parents[1]
# The spelling comes from this checkout's file (it imports nothing of ragvsft), so metrics of a checkout from before
# it existed can be measured on the same answers.
_SPEC = importlib.util.spec_from_file_location("number_words", ROOT / "platform/ragvsft/metrics/number_words.py")
_NUMBER_WORDS = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_NUMBER_WORDS)
number_in_words = _NUMBER_WORDS.number_in_words
INTEGER = re.compile(r"(?<![\w.,:/\-])(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?![\w:/\-]|[.,]\d)")


def in_words(text: str) -> str:
    def spell(match: re.Match[str]) -> str:
        value = int(match[0].replace(",", ""))
        return number_in_words(value) if value < 10**6 else match[0]

    return INTEGER.sub(spell, text)


def main() -> None:
    cases: dict[str, list[Sample]] = {"answer in words": [], "documents in words": []}
    for name in ("demo", "incidents"):
        corpus = load_corpus(ROOT / "corpora" / name)
        documents = {d.id: d.text for d in corpus.documents}
        for qa in corpus.split("eval"):
            if INTEGER.search(qa.answer) and qa.sources and all(s in documents for s in qa.sources):
                evidence = tuple(documents[s] for s in qa.sources)
                cases["answer in words"].append(Sample(qa.question, in_words(qa.answer), qa.answer, evidence))
                cases["documents in words"].append(
                    Sample(qa.question, qa.answer, qa.answer, tuple(in_words(e) for e in evidence)))
    metrics = [ExactMatch(), TokenF1(), ClaimSupport(), TokenSupport()]
    print("Right answers with numbers in words: mean score (1.0 is right)\n")
    print("| case | answers | " + " | ".join(f"`{m.name}`" for m in metrics) + " |")
    print("|---|---|" + "---|" * len(metrics))
    for case, samples in cases.items():
        means = [statistics.mean(v for v in m.score(samples) if v is not None) for m in metrics]
        print(f"| {case} | {len(samples)} | " + " | ".join(f"{v:.3f}" for v in means) + " |")


if __name__ == "__main__":
    main()
