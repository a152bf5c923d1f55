"""Splitting documents into retrievable chunks with LangChain's recursive splitter."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ragvsft.documents import Document
from ragvsft.writing import SPACED_STOPS, UNSPACED_STOPS


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


# Paragraph, line, sentence, word, character (regular expressions). A sentence ends at a stop and a space (". ",
# "? ", the danda "। " and the other scripts' stops) or at a stop written without a space (Chinese "。", Burmese
# "။", Khmer "។"): one level for all of them, so a paragraph of questions, or of Hindi, is cut between sentences
# rather than between words, and Burmese or Khmer text (no spaces) rather than between letters.
SEPARATORS = ["\n\n", "\n", f"(?<=[{re.escape(SPACED_STOPS)}]) |(?<=[{re.escape(UNSPACED_STOPS)}])", " ", ""]
RULES_VERSION = 2
"""Bumped whenever the rules change how a text is cut (1: ". " and the Chinese stops only), and part of an index's
fingerprint, so an index cut by earlier rules is built again rather than reused."""


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
        is_separator_regex=True,
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
