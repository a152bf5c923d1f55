"""Answer metrics, one small class each, under the same keys for every arm (see DESIGN.md)."""

from ragvsft.metrics.base import Metric, Sample
from ragvsft.metrics.correctness import ExactMatch, TokenF1
from ragvsft.metrics.faithfulness import TokenSupport
from ragvsft.metrics.relevance import AnswerRelevance, ContextRecallAtK

# Metrics needing no model. AnswerRelevance takes an embedder and is added by the caller.
JUDGE_FREE_METRICS: dict[str, type] = {
    "exact_match": ExactMatch,
    "token_f1": TokenF1,
    "faithfulness": TokenSupport,
    "context_recall_at_k": ContextRecallAtK,
}

__all__ = ["AnswerRelevance", "ContextRecallAtK", "ExactMatch", "JUDGE_FREE_METRICS", "Metric", "Sample", "TokenF1",
           "TokenSupport"]
