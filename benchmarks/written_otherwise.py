"""The same fact written otherwise: do the lexical metrics score a right answer as right when it, or its evidence,
writes a number in words rather than digits, a date as "June 30th" rather than "30 June", or "38 euros" for "€38"?

Every eval question of the demo and incidents corpora whose gold answer holds a plain integer (not part of a code,
a decimal or a time), a date written day-month, or an amount in euros, is scored twice per form: the gold answer
rewritten, against the gold answer (exact match, token F1) and against its source documents (faithfulness); and
the gold answer as it is against its documents rewritten. Right answers all: 1.0 is the ideal in every cell. Run
it with another checkout's library first on the path (``PYTHONPATH=<checkout>/platform``) to compare definitions.

    .venv/bin/python benchmarks/written_otherwise.py
"""

from __future__ import annotations

import importlib.util
import re
import statistics
from collections.abc import Callable
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

INTEGER = re.compile(r"(?<![\w.,:/\-])(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?![\w:/\-]|[.,]\d)")
MONTHS = "January February March April May June July August September October November December".split()
DAY_MONTH = re.compile(rf"\b([1-9]|[12]\d|3[01]) ({'|'.join(MONTHS)})\b( \d{{4}})?")
EUROS = re.compile(r"€(\d+(?:,\d{3})*(?:\.\d+)?)")


def numbers_in_words(text: str) -> str:
    def spell(match: re.Match[str]) -> str:
        value = int(match[0].replace(",", ""))
        return _NUMBER_WORDS.number_in_words(value) if value < 10**6 else match[0]

    return INTEGER.sub(spell, text)


def month_first(text: str) -> str:
    """"30 June 2026" as "June 30th, 2026"."""
    def ordinal(day: int) -> str:
        return f"{day}{'th' if 10 <= day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"

    return DAY_MONTH.sub(lambda m: f"{m[2]} {ordinal(int(m[1]))}" + (f",{m[3]}" if m[3] else ""), text)


FORMS: dict[str, tuple[re.Pattern[str], Callable[[str], str]]] = {
    "numbers in words": (INTEGER, numbers_in_words), "dates month first": (DAY_MONTH, month_first),
    "euros in words": (EUROS, lambda text: EUROS.sub(r"\1 euros", text))}


def main() -> None:
    cases: dict[str, list[Sample]] = {}
    for name in ("demo", "incidents"):
        corpus = load_corpus(ROOT / "corpora" / name)
        documents = {d.id: d.text for d in corpus.documents}
        for qa in corpus.split("eval"):
            if not qa.sources or not all(s in documents for s in qa.sources):
                continue
            evidence = tuple(documents[s] for s in qa.sources)
            for form, (finds, rewrite) in FORMS.items():
                if finds.search(qa.answer):
                    cases.setdefault(f"answer: {form}", []).append(
                        Sample(qa.question, rewrite(qa.answer), qa.answer, evidence))
                    cases.setdefault(f"documents: {form}", []).append(
                        Sample(qa.question, qa.answer, qa.answer, tuple(rewrite(e) for e in evidence)))
    metrics = [ExactMatch(), TokenF1(), ClaimSupport(), TokenSupport()]
    print("Right answers written otherwise: mean score (1.0 is right)\n")
    print("| rewritten | answers | " + " | ".join(f"`{m.name}`" for m in metrics) + " |")
    print("|---|---|" + "---|" * len(metrics))
    for case, samples in sorted(cases.items()):
        means = [statistics.mean(v for v in m.score(samples) if v is not None) for m in metrics]
        print(f"| {case} | {len(samples)} | " + " | ".join(f"{v:.3f}" for v in means) + " |")


if __name__ == "__main__":
    main()
