"""What an arm is: one way of answering the eval questions, defined once.

``ARMS`` is the registry the config validation, the evaluation, the report (and
the API and sweeps) read. An arm is a frozen ``ArmSpec``: what goes into the
prompt besides the question, whether the LoRA adapter is applied, and which
passages its faithfulness is judged against. Adding an arm is one entry here
(plus, for a new kind of context, the few lines in the evaluation that fill it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ArmSpec:
    """One way of answering.

    Example:
        >>> ARMS["hybrid"].adapter, ARMS["hybrid"].context, ARMS["hybrid"].evidence
        (True, 'retrieved', 'context')
        >>> [name for name, arm in ARMS.items() if arm.context == "none"]
        ['base', 'finetuned']
        >>> ARMS["oracle"].needs_sources, ARMS["oracle"].evidence
        (True, 'context')
    """

    name: str
    context: Literal["none", "retrieved", "oracle"]
    """What the prompt holds besides the question: nothing, the ``index.top_k`` retrieved chunks, or (oracle) the
    ``index.top_k`` best chunks of the question's gold source documents — what perfect retrieval would give."""
    adapter: bool
    """Whether the fine-tuned LoRA adapter is applied to the base model."""
    evidence: Literal["context", "gold_sources"]
    """What faithfulness is judged against: the passages in the prompt, or (closed book) the gold source
    documents — else the chunks that best match the answer — so an invented fact scores low."""
    description: str
    """One line for reports and run descriptions."""

    @property
    def needs_sources(self) -> bool:
        """Answers only the questions whose ``sources`` are known (the oracle arms)."""
        return self.context == "oracle"


ARMS: dict[str, ArmSpec] = {
    "base": ArmSpec("base", context="none", adapter=False, evidence="gold_sources",
                    description="the base model, closed book"),
    "rag": ArmSpec("rag", context="retrieved", adapter=False, evidence="context",
                   description="the base model with the retrieved chunks"),
    "finetuned": ArmSpec("finetuned", context="none", adapter=True, evidence="gold_sources",
                         description="the LoRA-adapted model, closed book"),
    "hybrid": ArmSpec("hybrid", context="retrieved", adapter=True, evidence="context",
                      description="the LoRA-adapted model with the retrieved chunks"),
    # Upper bounds for retrieval: if `rag` is far below `oracle`, retrieval misses the source; if `oracle` is low
    # too, the model cannot use the source. Questions without `sources` are left out of these arms.
    "oracle": ArmSpec("oracle", context="oracle", adapter=False, evidence="context",
                      description="the base model with the gold source passages"),
    "oracle_finetuned": ArmSpec("oracle_finetuned", context="oracle", adapter=True, evidence="context",
                                description="the LoRA-adapted model with the gold source passages"),
}
DEFAULT_ARMS = ("base", "rag", "finetuned", "hybrid")  # the four the question is about; the oracles are opt-in


def endpoint_arm(name: str, *, retrieves: bool, model: str) -> ArmSpec:
    """The spec of an ``[[evaluate.extra_arms]]`` entry: a model behind an OpenAI-compatible endpoint.

    Example:
        >>> endpoint_arm("gpt-rag", retrieves=True, model="gpt-4o").evidence
        'context'
    """
    return ArmSpec(name, context="retrieved" if retrieves else "none", adapter=False,
                   evidence="context" if retrieves else "gold_sources",
                   description=f"{model} behind an endpoint, {'with the retrieved chunks' if retrieves else 'closed book'}")
