"""Local Hugging Face causal LMs (and the packaged SmolLM2 GGUF): batched greedy generation with left padding.

Batching is the CPU speed-up that matters (~5x at batch 8 on SmolLM2-135M,
see DESIGN.md). Conversations are sorted by prompt length before batching so
a batch holds prompts of similar length and little compute goes to padding.
Padding is on the left, so every row's next token sits in the last column;
with greedy decoding in float32 a batched answer equals the answer generated
alone. In bfloat16 (``dtype``; the default of experiments on hardware that
computes it natively) it need not: the matrix products round differently for
other batch shapes, and after some tokens a near-tie can flip (seen on an H200
with the test model after about 8 tokens; on a CPU with AMX, 20 % of the demo's
served answers differed from the evaluated ones for that reason), unless
``batch_invariant`` is set (``ragvsft.generators.batch_invariant``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragvsft.errors import RagvsftError
from ragvsft.generators.base import Generation, hits_stop, truncate_at_stop
from ragvsft.hashing import model_dir_sha256
from ragvsft.models import LoadedLM, load_lm
from ragvsft.prompts import Message, render_prompt

if TYPE_CHECKING:
    from ragvsft.generators.continuous import RunningBatch


class HFGenerator:
    """Greedy answers from a local causal LM, optionally with a LoRA adapter applied, in ``dtype`` (``float32``, the
    reference; ``bfloat16``; ``auto``: bfloat16 where the hardware computes it natively, see ``ragvsft.device``).
    ``pack_weights``: in bfloat16 on a CPU with AMX or AVX-512 BF16, decode with weights packed once for oneDNN (the
    same answers, faster, a second copy of the weights; ``ragvsft.generators.packed_weights``). ``int4_decoding``:
    bfloat16 on a CPU, decode with a 4-bit copy of every weight but the logits layer's instead (faster for steps of
    up to 12 rows, other answers; an adapter adds its low-rank term to the 4-bit base weights;
    ``ragvsft.generators.int4_weights``). ``batch_invariant``: each answer the same in any batch of up to 32 rows,
    bfloat16 included, at the cost of a forward pass per prompt (``ragvsft.generators.batch_invariant``).

    Example:
        >>> gen = HFGenerator("SmolLM2-135M-Instruct", cache_dir=Path(".cache/ragvsft"), batch_size=8)  # doctest: +SKIP
        >>> gen.generate([PromptTemplate().messages("Who signs travel?")], max_new_tokens=16)[0].new_tokens  # doctest: +SKIP
        5
        >>> HFGenerator.from_loaded(lm, adapter_model=result.model).identity  # doctest: +SKIP
        'SmolLM2-135M-Instruct@sha256:1f3c5a0e9b2d4c67+adapter@sha256:8e0d2b6a41c9f713'
    """

    def __init__(
        self,
        model: str = "SmolLM2-135M-Instruct",
        *,
        cache_dir: Path,
        adapter: Path | None = None,
        batch_size: int = 8,
        device: str = "auto",
        torch_threads: int | None = None,
        merge_adapter: bool = False,
        dtype: str = "float32",
        pack_weights: bool = True,
        int4_decoding: bool = False,
        batch_invariant: bool = False,
    ) -> None:
        _check_batch_size(batch_size)  # before the load: a bad setting should not cost a model load first
        if torch_threads is not None:
            import torch

            torch.set_num_threads(torch_threads)  # process-wide: torch has no per-model thread pool
        if adapter is not None:
            adapter = Path(adapter)
            if not (adapter / "adapter_config.json").is_file():
                raise RagvsftError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
        lm = load_lm(model, cache_dir=Path(cache_dir), device=device, dtype=dtype)
        identity = lm.identity
        net = lm.model
        if adapter is not None:
            from peft import PeftModel

            from ragvsft.finetune.adapter import META_FILE, check_adapter_base

            # Adapters from our fine-tune step name their base; applied to other weights they compute
            # garbage without any error. Plain PEFT folders carry no such record and are taken as they are.
            if (adapter / META_FILE).is_file():
                check_adapter_base(adapter, lm.identity)

            net = PeftModel.from_pretrained(lm.model, str(adapter), is_trainable=False).eval()
            # Content, not the folder name: the same adapter downloaded from the registry has the same identity.
            identity = f"{lm.identity}+adapter@sha256:{model_dir_sha256(adapter)[:16]}"
            if merge_adapter and _adapts_tied_weights(lm.model, net):
                # lm_head shares its weight with the input embeddings: folding B·A into it would change the
                # embeddings too, and the model would answer garbage. Answer unmerged instead (slower, correct).
                logging.getLogger(__name__).warning(
                    "%s: the adapter adapts lm_head, whose weights the input embeddings share; not merging it", adapter)
            elif merge_adapter:
                # W + BA folded into W once: the adapter then costs nothing per token (unmerged, each adapted layer
                # runs two extra matrix products). The sums round differently, so a merged model is its own identity.
                from ragvsft.generators.int4_weights import int4_applies

                if int4_decoding and int4_applies(lm.model):
                    # Rounded to 4 bits with the weight it is merged into, most of the adapter's update is lost (the
                    # demo's adapter, 48 closed-book questions: token F1 0.171 -> 0.144): the 4-bit copies are of
                    # the base weights, and decoding adds the adapter's low-rank term to them.
                    from ragvsft.generators.int4_weights import MAX_ROWS, merge_beside_int4

                    net = merge_beside_int4(net, keep=lm.model.get_output_embeddings(),
                                            max_rows=None if batch_invariant else MAX_ROWS).eval()
                else:
                    net = net.merge_and_unload().eval()
                identity += "+merged"
        self._init(lm, net, identity, batch_size, pack_weights, int4_decoding, batch_invariant)

    @classmethod
    def from_loaded(cls, lm: LoadedLM, *, adapter_model: Any | None = None, batch_size: int = 8,
                    identity: str | None = None, pack_weights: bool = True, int4_decoding: bool = False,
                    batch_invariant: bool = False) -> HFGenerator:
        """Generate with an already-loaded model, e.g. the PEFT model a fine-tune just trained.

        An in-memory adapter has no folder, so its identity is a hash of its weights, unless ``identity`` is given
        (a model holding several named adapters, as the server's does, has no single one to hash). Like the
        identity, ``pack_weights`` (see ``ragvsft.generators.packed_weights``) takes the weights as they are now:
        do not change them while the generator is in use.
        """
        _check_batch_size(batch_size)
        self = cls.__new__(cls)
        if identity is None:
            identity = (lm.identity if adapter_model is None
                        else f"{lm.identity}+adapter@sha256:{_adapter_sha256(adapter_model)}")
        self._init(lm, lm.model if adapter_model is None else adapter_model, identity, batch_size, pack_weights,
                   int4_decoding, batch_invariant)
        return self

    def _init(self, lm: LoadedLM, net: Any, identity: str, batch_size: int, pack_weights: bool,
              int4_decoding: bool, batch_invariant: bool) -> None:
        # The same weights in bfloat16 answer a little differently from float32: part of the identity.
        dtype = str(lm.model.dtype).removeprefix("torch.")
        self._identity = identity if dtype == "float32" else f"{identity}[{dtype}]"
        if int4_decoding:
            from ragvsft.generators.int4_weights import MAX_ROWS, quantize_for_decoding

            # Other weights, other answers: part of the identity. The logits layer keeps its weight (and packing).
            if quantize_for_decoding(net, keep=lm.model.get_output_embeddings(),
                                     max_rows=None if batch_invariant else MAX_ROWS):
                self._identity += "+int4-decoding"
        if pack_weights:
            from ragvsft.generators.packed_weights import pack_for_decoding

            pack_for_decoding(net)  # bfloat16 on AMX / AVX-512 BF16 only; the same answers, decoded faster; skips 4-bit layers
        self._batch_invariant = batch_invariant
        if batch_invariant:  # other sums than the batched path's, so other answers (in bfloat16): its own identity
            from ragvsft.generators.batch_invariant import use_rowwise_attention, use_two_row_products

            use_rowwise_attention(lm.model)
            use_two_row_products(net)
            # v2: one-row products run as two rows since 11-28 (other answers on some CPUs than those cached before).
            self._identity += "+batch-invariant-v2"
        self._lm, self._net, self.batch_size = lm, net, batch_size
        self._adapter_rows_switch: Any = None  # ragvsft.generators.row_adapters.AdapterRows, made on first use
        tokenizer = lm.tokenizer
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        generation_eos = getattr(getattr(lm.model, "generation_config", None), "eos_token_id", None)
        eos = [tokenizer.eos_token_id] + (generation_eos if isinstance(generation_eos, list) else [generation_eos])
        self._eos_ids = sorted({e for e in eos if e is not None})
        self._max_positions = getattr(lm.model.config, "max_position_embeddings", None)

    @property
    def identity(self) -> str:
        return self._identity

    def prompt_ids(self, conversation: list[Message], *, max_new_tokens: int) -> tuple[int, ...]:
        """The token ids the model reads for ``conversation``: ``render_prompt``, the function fine-tuning uses,
        cut from the left so prompt plus answer fit the model's context."""
        budget = self._max_positions - max_new_tokens if self._max_positions else None
        return render_prompt(self._lm.tokenizer, conversation, max_tokens=budget).ids

    def generate(
        self, conversations: Sequence[list[Message]], *, max_new_tokens: int, stop: Sequence[str] = ()
    ) -> list[Generation]:
        if max_new_tokens < 1:
            raise RagvsftError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        if self._max_positions and max_new_tokens >= self._max_positions:
            raise RagvsftError(f"max_new_tokens={max_new_tokens} leaves no room for the prompt in the model's "
                               f"{self._max_positions}-token context")
        prompts = [list(self.prompt_ids(c, max_new_tokens=max_new_tokens)) for c in conversations]
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        out: list[Generation | None] = [None] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            batch = self.generate_ids([prompts[i] for i in rows], max_new_tokens=[max_new_tokens] * len(rows), stop=stop)
            for i, generation in zip(rows, batch):
                out[i] = generation
        return [g for g in out if g is not None]

    def generate_ids(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: Sequence[int],
        stop: Sequence[str] = (),
        adapter_names: Sequence[str] | None = None,
        on_step: StepCallback | None = None,
    ) -> list[Generation]:
        """One batch of already-rendered prompts (``prompt_ids``), each with its own token budget, decoded to its
        end in one ``generate`` call. ``adapter_names`` picks a PEFT adapter per row (``"__base__"``: none);
        ``on_step(row, new_ids)`` sees each unfinished row's new tokens after every step. Evaluation's batches
        (sorted by length already, one adapter) keep ``generate``'s own prefill, so the answers cached under this
        generator's identity stay what they were. The server decodes with a ``running_batch`` instead."""
        import torch

        from ragvsft.generators.prefill import left_padded

        limits = list(max_new_tokens)
        device = next(self._net.parameters()).device
        padded = left_padded(prompts, self._pad_id, device)  # the last column is every row's last prompt token
        width = padded["input_ids"].shape[1]
        stopper = _StopStrings(self._lm.tokenizer, stop, width, limits, self._eos_ids, on_step)
        was_training = self._net.training
        self._net.eval()  # dropout off: a model handed over from training may still be in train mode
        started = time.perf_counter()
        try:
            # Prefilled in parts where a row's numbers must not depend on the others, or where the rows mix adapters
            # (whose decoding then scales each adapter by row, which prefill must not: see ``_adapter_rows``).
            mixed = len(set(adapter_names or ())) > 1
            cache = (self.prefill([p[:-1] for p in prompts], adapter_names)[0] if min(len(p) for p in prompts) > 1
                     and (self._batch_invariant or mixed) else None)
            extra, scope = self._adapter_rows(adapter_names)
            with torch.inference_mode(), scope:
                output = self._net.generate(
                    input_ids=padded["input_ids"], attention_mask=padded["attention_mask"],
                    # Explicit greedy settings: a checkpoint's generation_config (repetition penalty,
                    # beams) must not leak into a comparison of arms.
                    do_sample=False, num_beams=1, repetition_penalty=1.0, no_repeat_ngram_size=0,
                    max_new_tokens=max(limits), pad_token_id=self._pad_id, eos_token_id=self._eos_ids,
                    stopping_criteria=[stopper] if stopper.needed else None, cache=cache, **extra,
                )
        finally:
            if was_training:
                self._net.train()
        latency_ms = (time.perf_counter() - started) * 1000
        generations = []
        for row, ids in enumerate(prompts):
            new = output[row, width:].tolist()
            n = min([len(new), limits[row], stopper.lengths.get(row, len(new))]
                    + [new.index(e) + 1 for e in self._eos_ids if e in new])
            text = self._lm.tokenizer.decode(new[:n], skip_special_tokens=True)
            generations.append(Generation(truncate_at_stop(text, stop), len(ids), n, latency_ms, len(prompts)))
        return generations

    def prefill(self, prompts: Sequence[Sequence[int]], adapter_names: Sequence[str] | None = None) -> tuple[Any, Any]:
        """The key/value cache of ``prompts`` (token ids, at least one each), left-padded to one width, and each
        prompt's next-token logits ([rows, vocabulary], float32) (``ragvsft.generators.prefill``): each prompt alone
        under ``batch_invariant``, else by length group, each group under its rows' adapters (PEFT's per-row path:
        with per-row scaling, base rows would pay for the adapter too)."""
        import torch

        from ragvsft.generators.prefill import length_groups, prefill_groups

        if self._batch_invariant:
            from ragvsft.generators.batch_invariant import match_adapter_dtype, use_two_row_products

            # Here, not at load: the server loads adapters into the model later.
            match_adapter_dtype(self._net)
            use_two_row_products(self._net)
            groups = [[row] for row in range(len(prompts))]  # alone: a row's numbers do not depend on the others
        else:
            groups = length_groups([len(p) for p in prompts])

        def scope(group: Sequence[int]) -> tuple[dict[str, Any], contextlib.AbstractContextManager]:
            return self._adapter_rows(None if adapter_names is None else [adapter_names[i] for i in group],
                                      decoding=False)

        with torch.inference_mode():
            return prefill_groups(self._net, prompts, groups, self._pad_id, scope)

    @property
    def batch_invariant(self) -> bool:
        return self._batch_invariant

    def running_batch(self, *, stop: Sequence[str] = ()) -> RunningBatch:
        """An empty batch that prompts can join and leave between decoding steps
        (``ragvsft.generators.continuous``): what the server decodes with."""
        from ragvsft.generators.continuous import RunningBatch

        self._net.eval()
        return RunningBatch(self, stop=stop)

    def decode_step(self, tokens: Any, attention_mask: Any, positions: Any, cache: Any,
                    adapter_names: Sequence[str] | None) -> Any:
        """One decoding step of a running batch: each row's next-token logits (float32, [rows, vocabulary]) after
        ``tokens`` ([rows, 1]), the cache grown by one column."""
        import torch

        extra, scope = self._adapter_rows(adapter_names)
        with torch.inference_mode(), scope:
            out = self._net(input_ids=tokens, attention_mask=attention_mask, position_ids=positions, cache=cache,
                            use_cache=True, **extra)
        return out.logits[:, -1].float()

    @property
    def tokenizer(self) -> Any:
        return self._lm.tokenizer

    @property
    def eos_ids(self) -> list[int]:
        return self._eos_ids

    @property
    def model_config(self) -> Any:
        return self._lm.model.config

    def _adapter_rows(self, adapter_names: Sequence[str] | None, *, decoding: bool = True,
                      ) -> tuple[dict[str, Any], contextlib.AbstractContextManager]:
        """A forward pass's extra arguments and the context to run it in for per-row adapters.

        PEFT's per-row path gathers and scatters every row group at every adapted layer and step: measured in
        bfloat16 on 8 closed-book prompts, 2.12 s with every row on ``"__base__"``, 1.71 s with the adapters
        disabled instead, 1.09 s for the plain model. So a batch whose rows all name the same adapter (or none)
        runs PEFT's ordinary path, which computes the same sums for those rows (tested against the per-row path),
        and the decoding of mixed rows scales each adapter's update by row; both set on the LoRA layers directly
        (``ragvsft.generators.row_adapters``). Prefill of mixed rows, and every pass under ``batch_invariant``
        (whose bit-for-bit guarantee is tested on it), keep PEFT's per-row path.
        """
        if adapter_names is None:
            return {}, contextlib.nullcontext()
        if self._adapter_rows_switch is None:
            from ragvsft.generators.row_adapters import AdapterRows

            self._adapter_rows_switch = AdapterRows(self._net)
        switch = self._adapter_rows_switch
        if len(set(adapter_names)) > 1 and (not decoding or self._batch_invariant
                                            or not switch.supports_row_scaling(adapter_names)):
            return {"adapter_names": list(adapter_names)}, contextlib.nullcontext()
        return {}, switch.scope(adapter_names)


BASE_ROWS = "__base__"  # PEFT's adapter name for "no adapter on this row"
StepCallback = Callable[[int, list[int]], None]  # (row in the batch, its new token ids so far)


class _StopStrings:
    """Stopping criterion: a row is done once its new text contains a stop string or it has used its own token
    budget; records how many tokens that took, and shows each unfinished row's tokens to ``on_step``."""

    def __init__(self, tokenizer: Any, stop: Sequence[str], prompt_width: int, limits: list[int],
                 eos_ids: Sequence[int], on_step: StepCallback | None) -> None:
        self.tokenizer, self.stop, self.prompt_width, self.limits = tokenizer, stop, prompt_width, limits
        self.eos_ids, self.on_step = set(eos_ids), on_step
        self.lengths: dict[int, int] = {}
        # Needed only when something beyond generate's own max_new_tokens and end tokens must stop or watch a row.
        self.needed = bool(stop) or len(set(limits)) > 1 or on_step is not None

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        new = input_ids[:, self.prompt_width:]
        for row in range(new.shape[0]):
            if row in self.lengths:
                continue
            ids = new[row].tolist()
            if self.on_step is not None:
                self.on_step(row, ids)
            if (new.shape[1] >= self.limits[row] or ids[-1] in self.eos_ids
                    or (self.stop and hits_stop(self.tokenizer.decode(ids, skip_special_tokens=True), self.stop))):
                self.lengths[row] = new.shape[1]
        return torch.tensor([row in self.lengths for row in range(new.shape[0])], device=input_ids.device)


def _adapts_tied_weights(base: Any, peft_model: Any) -> bool:
    """Whether the adapter has LoRA layers on the output projection of a model that ties it to the input
    embeddings (SmolLM2 does; the default ``target_modules`` leave lm_head out)."""
    if not getattr(base.config, "tie_word_embeddings", False):
        return False
    return any(name.endswith("lm_head") and hasattr(module, "lora_A") for name, module in peft_model.named_modules())


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise RagvsftError(f"batch_size must be at least 1, got {batch_size}")


def _adapter_sha256(peft_model: Any) -> str:
    import hashlib

    import torch
    from peft import get_peft_model_state_dict

    digest = hashlib.sha256()
    for name, tensor in sorted(get_peft_model_state_dict(peft_model).items()):
        # Raw bytes via uint8, since numpy has no bfloat16.
        digest.update(name.encode() + b"\0" + tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
