"""Whether text reads as English: the packaged models (MiniLM embeddings, SmolLM2) and the metrics' stopwords are
English, so a corpus in another language needs other models, and a user should hear so before a run rather than
read poor scores after it.

The test is the share of words that are common English function words (:data:`ragvsft.metrics.text.STOPWORDS`):
every English sentence is full of them and no other language's are: the demo's documents hold 25-47 % (38 %
over all), German, French, Spanish, Dutch and Italian policy text under 7 %, Russian and Chinese none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ragvsft.metrics.text import STOPWORDS
from ragvsft.writing import spaced

ENGLISH_SHARE = 0.15  # under this share of English function words, text is not English prose
ENOUGH_WORDS = 100  # fewer words than this say too little to judge
_WORDS = re.compile(r"[^\W\d_]+")


def english_word_share(texts: Iterable[str]) -> tuple[float, int]:
    """(share of the words of ``texts`` that are common English function words, how many words there are). In
    scripts written without spaces each character counts as a word, as the metrics count them (a question in
    Chinese is a dozen words, not one).

    Example:
        >>> english_word_share(["Leave is booked in the portal."])
        (0.5, 6)
        >>> english_word_share(["Der Urlaub wird im Portal beantragt."])[0]
        0.0
        >>> english_word_share(["年假有几天？"])
        (0.0, 5)
    """
    words = [word for text in texts for word in _WORDS.findall(spaced(text.casefold()))]
    return (sum(word in STOPWORDS for word in words) / len(words) if words else 0.0), len(words)
