"""Faithfulness, judge-free: how much of what the answer asserts the evidence supports.

Two deterministic scorers, validated on a labelled set by ``ragvsft validate-metrics``
(supported answers vs swapped numbers and names, invented details, other answers):

- ``ClaimSupport`` (the default ``faithfulness``): each claim must be supported by
  one evidence sentence, so a number copied from the wrong line does not count;
- ``TokenSupport``: the bag-of-words version (K-Precision, Adlakha et al. 2024),
  kept as a baseline — it accepts any word found anywhere in the evidence.

The LLM-judge scorer is in ``judge.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ragvsft.metrics.base import Sample
from ragvsft.metrics.text import content_tokens, split_sentences, stem


def _claim_words(text: str) -> set[str]:
    return {stem(t) for t in content_tokens(text)}


@functools.lru_cache(maxsize=4096)
def _sentence_units(passage: str) -> tuple[frozenset[str], ...]:
    """A passage's sentences as content-word sets. Cached: every answer to a question is checked against the same
    gold documents or retrieved chunks, in every arm."""
    return tuple(frozenset(_claim_words(s)) for s in split_sentences(passage))


class ClaimSupport:
    """Share of the answer's content words that one evidence sentence supports, claim by claim.

    Each sentence of the answer is a claim. A claim's support is the largest
    share of its content words (stemmed; numbers exact) found together in a
    single sentence or line of the evidence. The answer's score is the mean
    over claims weighted by their word counts. ``None`` when the answer asserts
    nothing (no content words) or there is no evidence.

    Example:
        >>> evidence = ("The X-200 limit is 14 bar.\\nThe X-300 limit is 20 bar.",)
        >>> ClaimSupport().score([Sample("X-200 limit?", "The X-200 limit is 14 bar.", "14 bar", evidence),
        ...                       Sample("X-200 limit?", "The X-200 limit is 20 bar.", "14 bar", evidence)])
        [1.0, 0.75]
    """

    name = "faithfulness"

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        scores: list[float | None] = []
        for sample in samples:
            # 1. Claims: the answer's sentences, each as a set of content words.
            claims = [words for s in split_sentences(sample.answer) if (words := _claim_words(s))]
            if not claims or not sample.evidence:
                scores.append(None)
                continue
            # 2. The evidence as sentences (lines count as sentences: lists, table rows).
            units = [unit for passage in sample.evidence for unit in _sentence_units(passage)]
            # 3. Per claim, the best-supporting single sentence; weighted mean over claims.
            supported = sum(max((len(claim & unit) for unit in units), default=0) for claim in claims)
            scores.append(supported / sum(len(claim) for claim in claims))
        return scores


class TokenSupport:
    """Share of the answer's content words found anywhere in the evidence (bag of words).

    Example:
        >>> TokenSupport().score([Sample("q", "14 bar", "14 bar", evidence=("Limit is 14 bar.",)),
        ...                       Sample("q", "20 bar", "14 bar", evidence=("Limit is 14 bar.",))])
        [1.0, 0.5]
    """

    name = "faithfulness_token_support"

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        scores: list[float | None] = []
        for sample in samples:
            # 1. The claim-bearing words of the answer, each counted once.
            claimed = _claim_words(sample.answer)
            if not claimed or not sample.evidence:
                scores.append(None)
                continue
            # 2. The vocabulary of the evidence.
            supported = set().union(*(_claim_words(passage) for passage in sample.evidence))
            # 3. The share of claimed words the evidence contains.
            scores.append(len(claimed & supported) / len(claimed))
        return scores
