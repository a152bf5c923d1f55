"""Prompts, from a question to the exact token ids a model reads: one path for training, evaluation and serving.

``PromptTemplate`` turns a question (and any passages) into chat messages;
``render_prompt`` turns messages into token ids. Fine-tuning and generation
both call these two and nothing else, so a fine-tuned model is evaluated (and
served) on exactly the prompts it was trained on.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

DEFAULT_SYSTEM = (
    "You answer questions about an organisation's internal documents. "
    "Reply with the answer only: a name, number, date, code or short phrase, not a sentence."
)


def format_context(passages: Sequence[str]) -> str:
    """Numbered passages, one blank line apart: ``[1] text``.

    Example:
        >>> format_context(["Leave is  27 days.", "Ask HR."])
        '[1] Leave is 27 days.\\n\\n[2] Ask HR.'
    """
    return "\n\n".join(f"[{n}] {' '.join(text.split())}" for n, text in enumerate(passages, start=1))


@dataclass(frozen=True)
class PromptTemplate:
    """Chat messages for a question, with or without passages and worked examples. The ``[prompt]`` table.

    Example:
        >>> t = PromptTemplate()
        >>> t.messages("Who signs travel?", ["Travel is signed off by Ines Marlow."])[1]["content"]
        'Context:\\n[1] Travel is signed off by Ines Marlow.\\n\\nQuestion: Who signs travel?'
        >>> t.messages("Who signs travel?")[1]["content"]
        'Question: Who signs travel?'
        >>> [m["content"] for m in PromptTemplate(system="").messages("Who signs travel?", shots=[("Max bar?", "14")])]
        ['Question: Max bar?', '14', 'Question: Who signs travel?']
    """

    system: str = DEFAULT_SYSTEM
    """System message (empty string: none)."""
    closed_book: str = "Question: {question}"
    """User message for arms without passages; must contain ``{question}``."""
    with_context: str = "Context:\n{context}\n\nQuestion: {question}"
    """User message for arms with passages; ``{context}`` becomes the numbered passages."""
    few_shot: int = 0
    """Worked examples from the training split put before the question, as earlier user/assistant turns: the
    ``few_shot`` training questions most similar to it (embedding cosine), never an eval question. Answering
    only: fine-tuning prompts hold none."""

    def messages(self, question: str, passages: Sequence[str] | None = None,
                 shots: Sequence[tuple[str, str]] = ()) -> list[Message]:
        """System message, then each (question, answer) shot as a closed-book turn and its answer, then the question."""
        user = (self.closed_book.format(question=question) if passages is None
                else self.with_context.format(question=question, context=format_context(passages)))
        turns: list[Message] = [{"role": "system", "content": self.system}] if self.system else []
        for shot_question, shot_answer in shots:
            turns += [{"role": "user", "content": self.closed_book.format(question=shot_question)},
                      {"role": "assistant", "content": shot_answer}]
        return turns + [{"role": "user", "content": user}]


def template_problem(template: str, placeholders: Sequence[str]) -> str:
    """What is wrong with a prompt template that must hold each of ``placeholders`` (``"question"``) and nothing
    else in braces; empty when it is fine. Literal braces are written doubled, ``{{`` and ``}}``.

    Example:
        >>> template_problem("Q: {question} {x}", ["question"])
        'unknown placeholder {x} (allowed: {question}; write {{ and }} for literal braces)'
        >>> template_problem("Q: {question}", ["question"])
        ''
    """
    allowed = ", ".join(f"{{{p}}}" for p in placeholders)
    try:
        fields = [(name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:  # a lone "{" or "}"
        return f"{exc} (write {{{{ and }}}} for literal braces)"
    for name, conversion, spec in fields:
        if name not in placeholders or conversion or spec:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return f"unknown placeholder {shown} (allowed: {allowed}; write {{{{ and }}}} for literal braces)"
    if missing := [p for p in placeholders if p not in {name for name, _, _ in fields}]:
        return f"needs {', '.join(f'{{{p}}}' for p in missing)}"
    return ""


def prompt_text(tokenizer: Any, conversation: Sequence[Message]) -> str:
    """The text a model reads before its answer: its chat template with the assistant turn opened, or, for a
    model without one, the message contents a blank line apart followed by ``Answer:``."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(list(conversation), add_generation_prompt=True, tokenize=False)
    return "\n\n".join(m["content"] for m in conversation) + "\nAnswer:"


@dataclass(frozen=True)
class RenderedPrompt:
    """Token ids of a prompt, ending where the model's answer begins."""

    ids: tuple[int, ...]
    truncated: bool
    """Tokens were cut from the start to fit the budget."""


def render_prompt(tokenizer: Any, conversation: Sequence[Message], *, max_tokens: int | None = None) -> RenderedPrompt:
    """Token ids of ``conversation`` as the model reads it; longer than ``max_tokens``, it loses tokens from its start.

    The start goes first because the question sits at the end of the prompt.
    A chat template writes its own special tokens, so the tokenizer adds none
    (it would double the BOS); a plain prompt gets the tokenizer's usual ones.

    Example:
        >>> tok = AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")  # doctest: +SKIP
        >>> render_prompt(tok, PromptTemplate().messages("Who signs travel?"), max_tokens=8).truncated  # doctest: +SKIP
        True
    """
    templated = bool(getattr(tokenizer, "chat_template", None))
    ids = tokenizer(prompt_text(tokenizer, conversation), add_special_tokens=not templated)["input_ids"]
    if max_tokens is not None and len(ids) > max_tokens:
        return RenderedPrompt(tuple(ids[len(ids) - max_tokens:]) if max_tokens > 0 else (), True)
    return RenderedPrompt(tuple(ids), False)
