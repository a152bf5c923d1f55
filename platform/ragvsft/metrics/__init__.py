"""Answer and retrieval metrics, one small class each, under the same keys for every arm (see DESIGN.md).

``METRICS`` is the registry: adding a metric is one class plus one line. A
class's ``requires`` names what its constructor takes (``embedder``: a
sentence embedder; ``judge``: a generator acting as LLM judge).

Example:
    >>> [m.name for m in build_metrics(["token_f1", "faithfulness"])]
    ['token_f1', 'faithfulness']
"""

from collections.abc import Sequence

from ragvsft.embedders import Embedder, MemoEmbedder
from ragvsft.generators.base import Generator
from ragvsft.metrics.base import Metric, Sample
from ragvsft.metrics.correctness import AnswerRecall, ExactMatch, SemanticSimilarity, TokenF1
from ragvsft.metrics.faithfulness import ClaimSupport, TokenSupport
from ragvsft.metrics.judge import JudgeFaithfulness
from ragvsft.metrics.relevance import (
    AnswerRelevance,
    ContextPrecisionAtK,
    ContextRecallAtK,
    ContextRelevance,
    ReverseQuestionRelevance,
)

METRICS: dict[str, type] = {
    "exact_match": ExactMatch,
    "token_f1": TokenF1,
    "answer_recall": AnswerRecall,
    "semantic_similarity": SemanticSimilarity,
    "faithfulness": ClaimSupport,
    "faithfulness_token_support": TokenSupport,
    "faithfulness_judge": JudgeFaithfulness,
    "answer_relevance": AnswerRelevance,
    "answer_relevance_reverse": ReverseQuestionRelevance,
    "context_relevance": ContextRelevance,
    "context_recall_at_k": ContextRecallAtK,
    "context_precision_at_k": ContextPrecisionAtK,
}
# Everything that needs no LLM judge: deterministic, offline, cheap — the default set.
JUDGE_FREE: tuple[str, ...] = tuple(name for name, cls in METRICS.items() if "judge" not in getattr(cls, "requires", ()))


def build_metrics(names: Sequence[str], *, embedder: Embedder | None = None,
                  judge: Generator | None = None) -> list[Metric]:
    """Instantiate the named metrics, giving each what its ``requires`` lists. They share one ``MemoEmbedder``,
    so a text that several metrics or arms score (a question, a retrieved passage) is embedded once."""
    available = {"embedder": embedder if embedder is None else MemoEmbedder(embedder), "judge": judge}
    metrics = []
    for name in names:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        needs = getattr(METRICS[name], "requires", ())
        missing = [n for n in needs if available[n] is None]
        if missing:
            raise ValueError(f"metric {name!r} needs {' and '.join(missing)}")
        metrics.append(METRICS[name](**{n: available[n] for n in needs}))
    return metrics


__all__ = ["JUDGE_FREE", "METRICS", "AnswerRecall", "AnswerRelevance", "ClaimSupport", "ContextPrecisionAtK",
           "ContextRecallAtK", "ContextRelevance", "ExactMatch", "JudgeFaithfulness", "Metric",
           "ReverseQuestionRelevance", "Sample", "SemanticSimilarity", "TokenF1", "TokenSupport", "build_metrics"]
