"""The retriever as a LangChain ``BaseRetriever``, so users can put it in their own chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ragvsft.retriever import Retriever


class RagvsftRetriever(BaseRetriever):
    """LangChain view of a ragvsft retriever; each hit becomes a ``Document`` with its ids and score.

    Example:
        >>> lc = RagvsftRetriever(retriever=DenseRetriever(embedder, store), k=4)  # doctest: +SKIP
        >>> chain = lc | (lambda docs: "\\n\\n".join(d.page_content for d in docs))  # doctest: +SKIP
        >>> chain.invoke("Who approves travel?")  # doctest: +SKIP
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # a ragvsft Retriever; Any because pydantic cannot validate a Protocol
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        hits = self.retriever.search(query, self.k)
        return [
            LCDocument(
                page_content=hit.chunk.text,
                metadata={"chunk_id": hit.chunk.id, "doc_id": hit.chunk.doc_id, "score": hit.score, "rank": hit.rank},
            )
            for hit in hits
        ]


def as_langchain(retriever: Retriever, k: int = 5) -> RagvsftRetriever:
    """Wrap any ragvsft retriever for LangChain."""
    return RagvsftRetriever(retriever=retriever, k=k)
