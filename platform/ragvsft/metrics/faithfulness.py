"""Faithfulness, judge-free: how much of what the answer adds to the question the evidence supports.

Two deterministic scorers, validated on a labelled set by ``ragvsft validate-metrics``
(supported answers — short, copied, restated, reworded — against swapped numbers and
names, invented details, other answers, restatements with one detail wrong, and true
sentences from elsewhere):

- ``ClaimSupport`` (the default ``faithfulness``): question-aware, claim by claim,
  names and numbers checked, one evidence sentence per claim;
- ``TokenSupport``: the bag-of-words version (K-Precision, Adlakha et al. 2024),
  kept as a baseline — it accepts any word found anywhere in the evidence.

The LLM-judge scorer is in ``judge.py``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ragvsft.metrics.base import Sample
from ragvsft.metrics.text import NORMALIZATION_VERSION, content_tokens, one_form, split_sentences, stem, tokens
from ragvsft.writing import spaced

_POLAR = frozenset({"yes", "no"})
_DIGIT = re.compile(r"\d")
_POSSESSIVE = re.compile(r"['’]s\b")


def claim_words(text: str) -> set[str]:
    """The words of ``text`` that make a claim: content words, stemmed (numbers exact).

    Example:
        >>> sorted(claim_words("The X-200's limit is 3.5 bar"))
        ['3.5', 'bar', 'limit', 'x200']
    """
    # "X-200's" and "X-200" are one thing: without the possessive they normalise alike (x200).
    return {stem(t) for t in content_tokens(_POSSESSIVE.sub("", text))}


def _key_words(sentence: str) -> set[str]:
    """The names and numbers of a sentence (capitalised words after its first; words with digits once numbers in
    words, dates and amounts are in one form), as claim words: the details a wrong answer most often gets wrong."""
    names = [token for i, token in enumerate(spaced(sentence).split()) if i and token[:1].isupper()]
    numbers = [token for token in spaced(one_form(sentence.lower())).split() if _DIGIT.search(token)]
    return {w for token in names + numbers for w in claim_words(token)}


@functools.lru_cache(maxsize=4096)
def _sentence_units(passage: str) -> tuple[frozenset[str], ...]:
    """A passage's sentences as content-word sets. Cached: every answer to a question is checked against the same
    gold documents or retrieved chunks, in every arm."""
    return tuple(frozenset(claim_words(s)) for s in split_sentences(passage))


class ClaimSupport:
    """How much of what each claim adds to the question one evidence sentence supports, names and numbers strictly.

    Each sentence of the answer is a claim. Per claim:

    1. What it adds: its content words (stemmed; numbers exact) that the
       question does not already contain. Restating the question proves
       nothing, and a long answer made of the question's words with one detail
       changed is the typical hallucination. (A claim that only restates the
       question keeps all its words; a bare "yes"/"no" claims the question's
       own words.)
    2. Per evidence sentence (lines count: lists, table rows): the share of the
       added words it contains, times the share of the added *names and
       numbers* it contains (so one wrong figure costs more than one reworded
       verb), times 0.8 + 0.2 × how many question words the sentence shares
       relative to the best-matching sentence (a figure copied from a line
       about something else is not the answer to this question). The anchor
       is gentle on purpose — the sentence stating the answer of a multi-hop
       question may share few of its words — so a figure from a line about a
       neighbouring thing still scores about 0.9 (the third example).
    3. The claim's support is its best sentence's value.

    The answer's score is the mean over claims weighted by their added words;
    ``None`` when the answer asserts nothing or there is no evidence.

    Example:
        >>> evidence = ("The X-200 limit is 14 bar.\\nThe X-300 limit is 20 bar.",)
        >>> [round(s, 2) for s in ClaimSupport().score([
        ...     Sample("X-200 limit?", "14 bar", "14 bar", evidence),
        ...     Sample("X-200 limit?", "The X-200 limit is 16 bar.", "14 bar", evidence),
        ...     Sample("X-200 limit?", "The X-200 limit is 20 bar.", "14 bar", evidence),
        ...     Sample("X-200 limit?", "It is 14 bar, set by Orrin Talwyn.", "14 bar", evidence)])]
        [1.0, 0.0, 0.9, 0.13]
    """

    name = "faithfulness"
    version = 6  # cached scores of an earlier definition miss (see ``cache.CachedMetric``); 3, 4: as TokenF1's 2, 3;
    # 5: as TokenF1's 4, and sentences end at the stops of other scripts (the danda, the Arabic question mark);
    # 6: numbers in words, dates and amounts in one form (normalisation 5)
    anchor_weight = 0.2

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [self._score(sample) for sample in samples]

    def _score(self, sample: Sample) -> float | None:
        asked = claim_words(sample.question)
        units = [unit for passage in sample.evidence for unit in _sentence_units(passage)]
        claims = [(words, _key_words(s)) for s in split_sentences(sample.answer) if (words := claim_words(s))]
        if not claims and asked and tokens(sample.answer)[:1] and tokens(sample.answer)[0] in _POLAR:
            claims = [(asked, set())]  # "Yes." asserts what the question asks (when it asks anything)
        if not claims or not units:
            return None
        # How well each sentence matches the question, relative to the best match (no match anywhere: no anchor).
        overlap = [len(asked & unit) for unit in units]
        best_overlap = max(overlap)
        anchors = [1 - self.anchor_weight + self.anchor_weight * o / best_overlap if best_overlap else 1.0
                   for o in overlap]
        supported = total = 0.0
        for words, keys in claims:
            added = (words - asked) or words
            added_keys = added & keys
            best = 0.0
            for unit, anchor in zip(units, anchors):
                share = len(added & unit) / len(added)
                if added_keys:
                    share *= len(added_keys & unit) / len(added_keys)
                best = max(best, share * anchor)
            supported += best * len(added)
            total += len(added)
        return supported / total


class TokenSupport:
    """Share of the answer's content words found anywhere in the evidence (bag of words).

    Example:
        >>> TokenSupport().score([Sample("q", "14 bar", "14 bar", evidence=("Limit is 14 bar.",)),
        ...                       Sample("q", "20 bar", "14 bar", evidence=("Limit is 14 bar.",))])
        [1.0, 0.5]
    """

    name = "faithfulness_token_support"
    version = NORMALIZATION_VERSION  # cached scores of an earlier normalisation miss

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        scores: list[float | None] = []
        for sample in samples:
            # 1. The claim-bearing words of the answer, each counted once.
            claimed = claim_words(sample.answer)
            if not claimed or not sample.evidence:
                scores.append(None)
                continue
            # 2. The vocabulary of the evidence.
            supported = set().union(*(claim_words(passage) for passage in sample.evidence))
            # 3. The share of claimed words the evidence contains.
            scores.append(len(claimed & supported) / len(claimed))
        return scores
