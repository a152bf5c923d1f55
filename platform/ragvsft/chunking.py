"""Splitting documents into retrievable chunks with LangChain's recursive splitter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ragvsft.documents import Document


@dataclass(frozen=True)
class Chunk:
    """A piece of one document; ``id`` is ``<doc_id>#<n>``.

    Example:
        >>> Chunk(id="manuals/x200.md#3", doc_id="manuals/x200.md", text="Torque: 12 N·m", start_char=2400).doc_id
        'manuals/x200.md'
    """

    id: str
    doc_id: str
    text: str
    start_char: int


# Paragraph, line, sentence (Chinese and Japanese end theirs with 。！？ and no space), word, character.
SEPARATORS = ["\n\n", "\n", ". ", "。", "！", "？", " ", ""]


def chunk_documents(documents: Iterable[Document], *, chunk_chars: int, chunk_overlap_chars: int) -> list[Chunk]:
    """Split each document into chunks of at most ``chunk_chars`` characters.

    The recursive splitter tries paragraph, then line, then sentence, then word
    boundaries (``SEPARATORS``), so a chunk is a readable span rather than a fixed window.

    Example:
        >>> [c.id for c in chunk_documents([Document("a.md", "One.\\n\\nTwo.")], chunk_chars=6, chunk_overlap_chars=0)]
        ['a.md#0', 'a.md#1']
    """
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_chars,
        chunk_overlap=chunk_overlap_chars,
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
    )
    chunks: list[Chunk] = []
    for doc in documents:
        pieces = splitter.create_documents([doc.text])
        chunks.extend(
            Chunk(f"{doc.id}#{n}", doc.id, piece.page_content, piece.metadata["start_index"])
            for n, piece in enumerate(pieces)
        )
    return chunks
