"""Faithfulness: how much of what the answer asserts the evidence supports."""

from __future__ import annotations

from collections.abc import Sequence

from ragvsft.metrics.base import Sample
from ragvsft.metrics.text import content_tokens


class TokenSupport:
    """Share of the answer's content words found in the evidence (judge-free, deterministic).

    Close in spirit to K-Precision (Adlakha et al. 2024), which tracks human
    faithfulness judgements well: a fabricated name or number is a content
    word the evidence does not contain. ``None`` for answers with no content
    words (nothing asserted) or samples without evidence.

    Example:
        >>> TokenSupport().score([Sample("q", "14 bar", "14 bar", evidence=("Limit is 14 bar.",)),
        ...                       Sample("q", "20 bar", "14 bar", evidence=("Limit is 14 bar.",))])
        [1.0, 0.5]
    """

    name = "faithfulness"

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        scores: list[float | None] = []
        for sample in samples:
            # 1. The claim-bearing words of the answer, each counted once.
            claimed = set(content_tokens(sample.answer))
            if not claimed or not sample.evidence:
                scores.append(None)
                continue
            # 2. The vocabulary of the evidence.
            supported = {t for passage in sample.evidence for t in content_tokens(passage)}
            # 3. The share of claimed words the evidence contains.
            scores.append(len(claimed & supported) / len(claimed))
        return scores
