"""Request and response bodies of the HTTP API: the native ``/v1/ask`` and the OpenAI-compatible chat endpoints.

The limits (question length, ``top_k``, ``max_new_tokens``) come from the
``[serve]`` settings, so the request models are built per server by
``request_models``; the OpenAPI schema at ``/docs`` then shows the real bounds
and every request is checked against them before it reaches the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from ragvsft.config import ServeConfig
from ragvsft.serve.engine import SERVE_MODES
from ragvsft.store import Hit
from ragvsft.textforms import normalize

Mode = Literal["base", "rag", "finetuned", "hybrid"]  # SERVE_MODES, spelled out for the schema (a test checks)
MODEL_PREFIX = "ragvsft-"  # OpenAI model ids: ragvsft-base, ragvsft-rag, ...


class Source(BaseModel):
    doc_id: str
    chunk_id: str
    score: float
    text: str
    also_in: list[str] = Field(default_factory=list, description="Other documents holding this passage word for word "
                                                                 "(copies of the document).")

    @classmethod
    def of(cls, hit: Hit) -> Source:
        """A retrieved passage as the API shows it.

        Example:
            >>> from ragvsft.chunking import Chunk
            >>> Source.of(Hit(Chunk("a.md#0", "a.md", "x", 0), 0.91234567, 1, also_in=("a copy.md",))).also_in
            ['a copy.md']
        """
        return cls(doc_id=hit.chunk.doc_id, chunk_id=hit.chunk.id, score=round(hit.score, 6), text=hit.chunk.text,
                   also_in=list(hit.also_in))


class Latency(BaseModel):
    retrieval: float
    generation: float
    total: float


class Versions(BaseModel):
    index: str
    adapter: str | None
    base_model: str


class WorkedExample(BaseModel):
    question: str
    answer: str


class AskResponse(BaseModel):
    answer: str
    mode: Mode
    sources: list[Source]
    examples: list[WorkedExample] = Field(
        default_factory=list, description="The training questions and answers the prompt showed as worked examples "
                                          "(prompt.few_shot; empty without).")
    latency_ms: Latency
    versions: Versions


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


@dataclass(frozen=True)
class RequestModels:
    ask: type[BaseModel]
    chat: type[BaseModel]


def request_models(serve: ServeConfig) -> RequestModels:
    """The two request bodies with this server's limits.

    Example:
        >>> models = request_models(ServeConfig(max_top_k=4))
        >>> models.ask(question="Who signs travel?", mode="rag", top_k=4).top_k
        4
    """
    # Strict numbers and flags: JSON's true, 2.0 or "3" is not a count (lax parsing would take true for 1).
    Question = Annotated[str, Field(min_length=1, max_length=serve.max_question_chars)]
    TopK = Annotated[StrictInt | None, Field(default=None, ge=1, le=serve.max_top_k,
                                             description="Chunks retrieved (rag, hybrid); default: the experiment's.")]
    NewTokens = Annotated[StrictInt | None, Field(default=None, ge=1, le=serve.max_new_tokens_limit,
                                                  description="Answer budget in tokens; default: the evaluation's.")]

    class AskRequest(BaseModel):
        """A question for one mode."""

        model_config = ConfigDict(extra="forbid")
        question: Question
        mode: Mode
        top_k: TopK = None
        max_new_tokens: NewTokens = None

        @field_validator("question")
        @classmethod
        def not_blank(cls, question: str) -> str:
            if not (question := question_form(question)):
                raise ValueError("the question is blank")
            return question

    class ChatMessage(BaseModel):
        model_config = ConfigDict(extra="ignore")
        role: Literal["system", "developer", "user", "assistant", "tool"]
        content: str | list[TextPart] | None = None  # the question's length is checked once it is picked

        @field_validator("content", mode="before")
        @classmethod
        def text_only(cls, content: Any) -> Any:
            """One clear error for what is not text (an image part, a number), instead of one per union member."""
            if content is None or isinstance(content, str):
                return content
            if not isinstance(content, list):
                raise ValueError("content must be a string or a list of text parts")
            for i, part in enumerate(content):
                kind = part.get("type") if isinstance(part, dict) else None
                if kind != "text" or not isinstance(part.get("text"), str):
                    raise ValueError(f"part {i} is not a text part ({{'type': 'text', 'text': ...}}"
                                     + (f"; got type {kind!r}" if kind else "") + "): only text is answered")
            return content

    class StreamOptions(BaseModel):
        model_config = ConfigDict(extra="ignore")
        include_usage: StrictBool = False

    class ChatRequest(BaseModel):
        """OpenAI chat completion: the last user message is the question, the model id picks the mode. Sampling
        settings (temperature, top_p, ...) are accepted and ignored: answers are greedy, as evaluated."""

        model_config = ConfigDict(extra="ignore")
        model: str = Field(description=f"One of {', '.join(MODEL_PREFIX + m for m in SERVE_MODES)}.")
        messages: list[ChatMessage] = Field(min_length=1, max_length=256)
        max_tokens: NewTokens = None
        max_completion_tokens: NewTokens = None
        n: StrictInt = Field(default=1, ge=1, le=1, description="Only 1: answers are greedy.")
        stream: StrictBool = False
        stream_options: StreamOptions | None = None
        top_k: TopK = None

    return RequestModels(AskRequest, ChatRequest)


def last_user_text(messages: list[Any]) -> str | None:
    """The text of the last user message (string content, or its text parts joined), or None.

    Example:
        >>> class M:  # what request_models' ChatMessage looks like
        ...     def __init__(self, role, content): self.role, self.content = role, content
        >>> last_user_text([M("system", "Be brief."), M("user", "Who signs travel?")])
        'Who signs travel?'
    """
    for message in reversed(messages):
        if message.role == "user":
            content = message.content
            text = content if isinstance(content, str) else "".join(p.text for p in content or [])
            return question_form(text) or None
    return None


def question_form(text: str) -> str:
    r"""A question in the form evaluation read its questions in (``qa.jsonl``: :func:`ragvsft.textforms.normalize`,
    stripped), so one typed with a trailing newline, decomposed accents or a zero-width space gets the prompt,
    and so the answer, that evaluation recorded for it.

    Example:
        >>> question_form(" Cafe\u0301 hours?\u200b\r\n")
        'Café hours?'
    """
    return normalize(text).strip()


def model_id(mode: str) -> str:
    return MODEL_PREFIX + mode


def mode_of(model: str) -> str | None:
    """The mode an OpenAI model id names, or None.

    Example:
        >>> mode_of("ragvsft-hybrid"), mode_of("gpt-4o")
        ('hybrid', None)
    """
    mode = model.removeprefix(MODEL_PREFIX) if model.startswith(MODEL_PREFIX) else None
    return mode if mode in SERVE_MODES else None
