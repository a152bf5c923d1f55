"""BM25 retrieval over chunks: no model, no index files, ready in milliseconds.

The fine-tune recipe uses it to pick RAFT distractors while the dense index is
still being built in the other process — the two pipelines stay independent.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragvsft.chunking import Chunk
from ragvsft.store import Hit


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
        self.index.index(bm25s.tokenize([c.text for c in self.chunks], show_progress=False), show_progress=False)

    def search(self, query: str, k: int) -> list[Hit]:
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int) -> list[list[Hit]]:
        k = min(k, len(self.chunks))
        # Strings, not ids: ids from a separate tokenize() call would not match the index vocabulary.
        tokens = self._bm25s.tokenize(list(queries), return_ids=False, show_progress=False)
        ids, scores = self.index.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [
            [Hit(self.chunks[int(i)], float(s), rank) for rank, (i, s) in enumerate(zip(row_ids, row_scores), 1)]
            for row_ids, row_scores in zip(ids, scores)
        ]
