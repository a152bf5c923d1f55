"""BM25 retrieval over chunks: no model, no index files, ready in milliseconds.

The fine-tune recipe uses it to pick RAFT distractors while the dense index is
still being built in the other process — the two pipelines stay independent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragvsft.chunking import Chunk
from ragvsft.store import Hit
from ragvsft.writing import UNSPACED_TOKEN, spaced

# bm25s' words (two or more letters or digits), and each character of a script written without spaces as the
# metrics read it: by bm25s' pattern alone a Chinese or Thai sentence was one word, matching nothing but itself.
_TOKEN = rf"(?u){UNSPACED_TOKEN}|\b\w\w+\b"


class BM25Retriever:
    """Okapi BM25 (``bm25s``) over chunk texts; implements the ``Retriever`` protocol.

    Example:
        >>> r = BM25Retriever([Chunk("a#0", "a", "travel is booked via Tripdesk", 0),
        ...                    Chunk("b#0", "b", "leave lasts 22 weeks", 0)])
        >>> r.search("how is travel booked", 1)[0].chunk.id
        'a#0'
    """

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import logging

        import bm25s

        # bm25s sets its own logger to DEBUG on import, so its notes would reach the user's console.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25s = bm25s
        self.chunks = list(chunks)
        self.index = bm25s.BM25()
        self.index.index(self._tokenize([c.text for c in self.chunks], return_ids=True), show_progress=False)

    def _tokenize(self, texts: Sequence[str], *, return_ids: bool) -> Any:
        return self._bm25s.tokenize([spaced(t) for t in texts], token_pattern=_TOKEN, return_ids=return_ids,
                                    show_progress=False)

    def search(self, query: str, k: int) -> list[Hit]:
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int) -> list[list[Hit]]:
        k = min(k, len(self.chunks))
        # Strings, not ids: ids from a separate tokenize() call would not match the index vocabulary.
        tokens = self._tokenize(queries, return_ids=False)
        ids, scores = self.index.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [
            [Hit(self.chunks[int(i)], float(s), rank) for rank, (i, s) in enumerate(zip(row_ids, row_scores), 1)]
            for row_ids, row_scores in zip(ids, scores)
        ]
