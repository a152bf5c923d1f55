"""What a fine-tune does: the ``[finetune]`` table of an experiment, and the settings ``train_lora`` takes.

One dataclass, one set of defaults, for the data recipe, the LoRA adapter and
the training loop. It imports nothing heavy, so reading a config loads no torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

HOW_NOT_WHAT = ("max_batch_tokens", "gradient_checkpointing", "bound_heap", "lean_heap_share")
"""Settings that change how much memory training takes, not the adapter it trains (up to float rounding)."""
LATER_DEFAULTS = {"targets": "gold"}
"""Settings added after adapters were fingerprinted: at these values they are left out of the fingerprint, so the
adapters (and retrain's corpus state) of earlier runs stay valid."""


@dataclass(frozen=True)
class LoraSettings:
    """Data recipe, adapter shape and training loop; the defaults suit a ~100M-parameter model on a CPU.

    Example:
        >>> s = LoraSettings(rank=8)
        >>> s.alpha / s.rank, s.recipe, s.epochs
        (4.0, 'closed_book', 3)
    """

    recipe: Literal["closed_book", "raft", "mixed"] = "closed_book"
    """``closed_book``: question -> answer. ``raft``: question + passages (gold in ``gold_fraction`` of examples,
    distractors otherwise) -> answer. ``mixed``: both, so the model learns the facts and to read context.
    RAFT examples carry ``context_k`` passages, about 8x the tokens of a closed-book one: on a CPU, closed_book."""
    targets: Literal["gold", "labeller"] = "gold"
    """What the adapter learns to answer: the gold answers of ``qa.jsonl``, or ``labeller``: the answers the
    ``[synthesize.labeller]`` model gives to the same questions with their source documents in view (distillation:
    a small model trained on a large model's answers)."""
    train_fraction: float = 1.0
    """Share of the training questions used (a seeded, nested subset: the questions of 0.25 are among those of
    0.5), for the curve of quality against training examples."""
    context_k: int = 3
    """Passages per RAFT example."""
    gold_fraction: float = 0.8
    """Share of RAFT examples whose passages include the gold chunk."""
    rank: int = 16
    """LoRA rank: width of the low-rank update on each target layer."""
    alpha: int = 32
    """LoRA scaling numerator; the update is scaled by alpha / rank."""
    dropout: float = 0.05
    """Dropout on the LoRA branch's input during training."""
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    """Names of the linear layers that get an adapter (all attention and MLP projections of Llama-style models)."""
    epochs: int = 3
    """Passes over the training examples."""
    learning_rate: float = 5e-4
    """Peak learning rate, reached after warm-up and decayed linearly to zero."""
    batch_size: int = 8
    """Examples per optimiser step."""
    max_length: int = 512
    """Tokens per example; longer prompts lose tokens from their start so the answer is kept."""
    warmup_ratio: float = 0.05
    """Share of the steps spent warming the learning rate up from zero."""
    weight_decay: float = 0.0
    """AdamW weight decay on the adapter weights."""
    grad_clip: float = 1.0
    """Largest gradient norm before a step (0 turns clipping off)."""
    max_batch_tokens: int = 1024
    """Most tokens, padding included, that one forward/backward pass holds. A batch larger than this runs as
    micro-batches whose gradients add up to the same optimiser step, so memory follows this number instead of
    batch_size x max_length (0: never split)."""
    gradient_checkpointing: Literal["auto", "on", "off"] = "auto"
    """Keep only each layer's input during the forward pass and recompute the rest in the backward pass: about a
    third more compute for a fraction of the activation memory. ``auto``: only for an example longer than
    ``max_batch_tokens``, which cannot be split, so memory stays bounded by the budget whatever ``max_length``."""
    bound_heap: bool = True
    """Give every block of 2 MiB or more its own mapping while training (glibc, Linux), where glibc would let its
    threshold climb to 32 MiB and the activations fragment the heap: ~10 % less memory, and 0.84-1.0x the speed
    (the longer the examples, the less it costs; ``ragvsft.finetune.memory``). False: glibc's own heap."""
    lean_heap_share: float = 0.5
    """How much of the memory available when training starts the process may grow by before every freed block of
    1 MiB or more goes straight back to the system (glibc, Linux): on a CPU that costs 1.2-1.4x per step and holds
    ~1/4 less memory than the bounded heap (``ragvsft.finetune.memory``). 0: from the start; 1: only past all of
    it."""
    group_by_length: bool = True
    """Batch examples of similar length together (Hugging Face's ``group_by_length``): far less padding when
    short closed-book and long RAFT examples are mixed. Batch order stays random."""

    @property
    def reads_chunks(self) -> bool:
        """Whether the recipe's examples hold corpus chunks (RAFT's passages and distractors), so the documents and
        the chunking rules decide the adapter too.

        Example:
            >>> LoraSettings().reads_chunks, LoraSettings(recipe="mixed").reads_chunks
            (False, True)
        """
        return self.recipe in ("raft", "mixed")

    def determining(self) -> dict[str, Any]:
        """The settings the trained adapter depends on: what fingerprints it, so a memory setting changed to fit a
        smaller machine does not train an equal adapter again.

        Example:
            >>> LoraSettings(max_batch_tokens=512).determining() == LoraSettings().determining()
            True
            >>> "targets" in LoraSettings().determining(), LoraSettings(targets="labeller").determining()["targets"]
            (False, 'labeller')
        """
        return {k: v for k, v in asdict(self).items()
                if k not in HOW_NOT_WHAT and (k not in LATER_DEFAULTS or LATER_DEFAULTS[k] != v)}
