"""Prompt templates shared by fine-tuning and evaluation.

Training and answering must see the same prompt shape, or a fine-tuned model
is evaluated on prompts it never trained on; so both build messages here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

DEFAULT_SYSTEM = (
    "You answer questions about an organisation's internal documents. "
    "Reply with the answer only: a name, number, date, code or short phrase, not a sentence."
)


def format_context(passages: Sequence[str]) -> str:
    """Numbered passages, one blank line apart: ``[1] text``."""
    return "\n\n".join(f"[{n}] {' '.join(text.split())}" for n, text in enumerate(passages, start=1))


@dataclass(frozen=True)
class PromptTemplate:
    """Chat messages for a question, with or without retrieved passages.

    Example:
        >>> t = PromptTemplate()
        >>> t.messages("Who signs travel?", ["Travel is signed off by Ines Marlow."])[1]["content"]
        'Context:\\n[1] Travel is signed off by Ines Marlow.\\n\\nQuestion: Who signs travel?'
        >>> t.messages("Who signs travel?")[1]["content"]
        'Question: Who signs travel?'
    """

    system: str = DEFAULT_SYSTEM
    closed_book: str = "Question: {question}"
    with_context: str = "Context:\n{context}\n\nQuestion: {question}"

    def messages(self, question: str, passages: Sequence[str] | None = None) -> list[Message]:
        user = (self.closed_book.format(question=question) if passages is None
                else self.with_context.format(question=question, context=format_context(passages)))
        return ([{"role": "system", "content": self.system}] if self.system else []) + [{"role": "user", "content": user}]
