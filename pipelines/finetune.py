"""Fine-tune recipe: the corpus' training questions -> LoRA adapter on the base model, logged to MLflow.

`ragvsft run` starts it in its own process, beside the index recipe.

Data: ``closed_book`` (question -> answer), ``raft`` (question + passages ->
answer; gold passage in ``gold_fraction`` of examples, BM25 distractors
otherwise — Zhang et al. 2024) or ``mixed`` (both). BM25, not the dense index,
picks passages, so this recipe never waits for the index recipe running beside it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ragvsft import tracking
from ragvsft.builders import build_answer_limits, build_judge
from ragvsft.cache import CachedGenerator, ResultCache
from ragvsft.checksums import set_aside
from ragvsft.chunking import chunk_documents
from ragvsft.config import ExperimentConfig, config_to_dict
from ragvsft.corpus import Corpus, qa_where
from ragvsft.device import resolve_device
from ragvsft.distill import labeller_targets
from ragvsft.errors import RagvsftError
from ragvsft.finetune import LoraSettings
from ragvsft.finetune.adapter import adapter_fingerprint, check_adapter_base, load_adapter_meta, save_adapter
from ragvsft.finetune.data import RECIPES, TrainExample, dropped_message, training_subset
from ragvsft.finetune.lora import train_lora
from ragvsft.generators import Generator
from ragvsft.lexical import BM25Retriever
from ragvsft.models import load_lm
from ragvsft.pipelines.common import ForwardFn, folder_mb, load_experiment_corpus, peak_rss_mb, step_progress
from ragvsft.qa import QAPair


@dataclass(frozen=True)
class FinetuneResult:
    adapter_dir: Path
    adapter_uri: str  # MLflow artifact URI of the logged adapter
    base_identity: str
    run_id: str
    examples: int  # training examples built from the corpus
    dropped_examples: tuple[str, ...]  # ids of those left out: answer longer than finetune.max_length
    fingerprint: str  # of every input; names the adapter folder
    reused: bool  # an adapter with this fingerprint existed, so nothing was trained
    train_questions: int  # training questions used (finetune.train_fraction of the split)


def build_examples(config: ExperimentConfig, corpus: Corpus, train: Sequence[QAPair]) -> list[TrainExample]:
    """The training examples of the ``train`` pairs under the configured data recipe."""
    ft = config.finetune
    recipes = ["closed_book", "raft"] if ft.recipe == "mixed" else [ft.recipe]
    retriever = None
    if ft.reads_chunks:
        chunks = chunk_documents(corpus.documents, chunk_chars=config.index.chunk_chars,
                                 chunk_overlap_chars=config.index.chunk_overlap_chars)
        retriever = BM25Retriever(chunks)
    examples: list[TrainExample] = []
    for name in recipes:
        examples += RECIPES[name](train, config.prompt, retriever=retriever, k=ft.context_k,
                                  gold_fraction=ft.gold_fraction, seed=config.seed)
    return examples


def main(
    config: ExperimentConfig,
    console: Console,
    *,
    parent_run_id: str | None = None,
    forward: ForwardFn | None = None,
    torch_threads: int | None = None,
    init_adapter: Path | None = None,
) -> FinetuneResult:
    """Run the recipe; ``init_adapter`` (e.g. the champion's adapter, for ``ragvsft retrain``) warm-starts training
    from its weights when it was trained with the same LoRA shape on the same base model, else training starts
    from scratch and says why."""
    # 1. Corpus and training examples: fails fast on an empty train split, before any model loads.
    corpus = load_experiment_corpus(config, console)
    if not corpus.split("train"):
        raise RagvsftError(f"{qa_where(config.corpus)}: no training questions (no line has split \"train\", "
                           "and eval_fraction sends every unsplit line to eval); fine-tuning needs some")
    ft = config.finetune
    train = training_subset(corpus.split("train"), ft.train_fraction, config.seed)
    teacher = ""
    if ft.targets == "labeller":
        train, teacher = _labeller_targets(config, corpus, train, console)
    examples = build_examples(config, corpus, train)

    uri = tracking.tracking_uri()
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name), name=f"finetune-{config.name}" if parent_run_id else
        tracking.run_title(f"finetune-{config.name}", corpus.name, config.model.base_model),
        description=f"LoRA r={ft.rank} on {config.model.base_model}, recipe {ft.recipe}, "
                    f"{len(examples)} examples x {ft.epochs} epochs",
        tags={"ragvsft.pipeline": "finetune", "ragvsft.experiment": config.name,
              "ragvsft.device": resolve_device(config.model.device)}, parent_run_id=parent_run_id,
    ) as logged:
        logged.log_params(config_to_dict(config) | {"train_examples": len(examples), "targets_from": teacher or "gold"})

        # 2. Base model (the packaged GGUF is converted to safetensors once, then cached), in model.dtype: the
        #    precision the arms answer in (bfloat16 where native: 1.6x faster training on a CPU; docs/speed.md).
        lm = load_lm(config.model.base_model, cache_dir=config.model.cache_dir, device=config.model.device,
                     dtype=config.model.dtype)
        logged.log_params({"base_model_identity": lm.identity, "base_model_path": str(lm.path),
                           "device": str(lm.model.device), "dtype": str(lm.model.dtype)})

        # 3. Train, reporting steps, loss and ETA — unless an adapter with exactly these inputs exists: the folder
        #    is named by their fingerprint and written all at once, so a rerun or a sweep reuses it. A warm start's
        #    starting weights are one of those inputs.
        init_adapter = _usable_start(init_adapter, lm.identity, ft, console)
        start = f"+init:{load_adapter_meta(init_adapter).get('fingerprint', '')}" if init_adapter else ""
        fingerprint = adapter_fingerprint(f"{lm.identity}[{lm.model.dtype}]{start}", examples, ft, config.seed)
        adapter_dir = config.output_dir / "adapters" / fingerprint
        reused = reusable_adapter(adapter_dir, lm.identity, console)
        logged.log_params({"adapter_fingerprint": fingerprint, "adapter_reused": reused,
                           "warm_start_from": str(init_adapter or "")})
        dropped: tuple[str, ...] = ()
        if reused:
            console.print(f"adapter unchanged, reusing {escape(str(adapter_dir))}")
        else:
            with step_progress(console, "finetune: LoRA steps", forward) as step:
                result = train_lora(lm, examples, ft, seed=config.seed, torch_threads=torch_threads,
                                    on_step=lambda s: step(s.step, s.total_steps, f"loss {s.loss:.3f}"),
                                    init_adapter=init_adapter)
            for n, loss in enumerate(result.losses, start=1):
                logged.log_metrics({"train_loss": loss}, step=n)
            dropped = result.dropped_examples
            left_out = set(dropped)
            save_adapter(result.model, adapter_dir, base_model_identity=lm.identity, base_model_path=str(lm.path),
                         settings=ft, seed=config.seed, fingerprint=fingerprint,
                         training={"wall_s": result.wall_s, "device": str(lm.model.device)},
                         train_ids=[e.id for e in examples if e.id not in left_out])
            logged.log_metrics({
                "trainable_params": result.trainable_params, "total_params": result.total_params,
                "trainable_share": result.trainable_params / result.total_params, "train_tokens": result.train_tokens,
                "answer_tokens": result.answer_tokens, "tokens_per_s": result.tokens_per_s,
                "train_wall_s": result.wall_s, "final_loss": result.losses[-1],
                "truncated_examples": result.truncated_examples, "dropped_examples": len(dropped),
                "peak_rss_mb": peak_rss_mb(), "lean_heap_from_step": result.lean_heap_from_step,
            })
            console.print(f"fine-tuned {lm.identity}: {len(result.losses)} steps in {result.wall_s:.0f} s "
                          f"({result.tokens_per_s:.0f} tokens/s, peak memory {peak_rss_mb():,.0f} MiB), "
                          f"loss {result.losses[0]:.2f} -> {result.losses[-1]:.2f}; adapter in {adapter_dir}")
            if result.lean_heap_from_step:
                console.print(f"memory: from step {result.lean_heap_from_step} on, freed memory went straight back to "
                              f"the system (finetune.lean_heap_share={ft.lean_heap_share}): slower steps, same adapter",
                              highlight=False)
        # 4. The adapter's files travel as run artifacts, so a registered version never points at this disk.
        adapter_uri = logged.log_artifacts(adapter_dir, "adapter")
        logged.log_metrics({"adapter_mb": folder_mb(adapter_dir)})
    if dropped:
        console.print(f"[yellow]warning:[/] {dropped_message(dropped, len(examples), ft.max_length)}")
    return FinetuneResult(adapter_dir, adapter_uri, lm.identity, logged.run_id, len(examples), dropped, fingerprint,
                          reused, len(train))



def _labeller_targets(config: ExperimentConfig, corpus: Corpus, train: Sequence[QAPair],
                      console: Console) -> tuple[list[QAPair], str]:
    """The training pairs with the labeller's answers (cached like every answer), and the labeller's identity."""
    labeller: Generator = build_judge(config.synthesize.labeller, config.model, environ=os.environ,
                                      label="the labeller")
    identity = labeller.identity
    if config.evaluate.cache:
        labeller = CachedGenerator(labeller, ResultCache(config.output_dir / "cache.sqlite"))
    budget = build_answer_limits(config.model, [q.answer for q in train]).max_new_tokens  # the arms' budget
    taught, kept_gold = labeller_targets(train, {d.id: d.text for d in corpus.documents}, labeller, config.prompt,
                                         max_new_tokens=budget)
    console.print(f"training answers from {escape(identity)} for {len(taught)} questions"
                  + (f" ({kept_gold} empty replies kept their gold answer)" if kept_gold else ""), highlight=False)
    return taught, identity


def reusable_adapter(folder: Path, base_identity: str, console: Console) -> bool:
    """Whether the adapter saved in ``folder`` can be reused. One damaged since it was saved (any file changed,
    cut short or missing) is set aside, so it is trained again into the same folder, never reused."""
    if not folder.exists():
        return False
    try:
        check_adapter_base(folder, base_identity)
    except RagvsftError as exc:
        console.print(f"[yellow]damaged adapter set aside and trained again:[/] {escape(str(exc))}", highlight=False)
        set_aside(folder)
        return False
    return True


def _usable_start(folder: Path | None, base_identity: str, settings: LoraSettings, console: Console) -> Path | None:
    """``folder`` when an adapter there can be trained on: intact, same base model, same rank and target modules."""
    if folder is None:
        return None
    try:
        check_adapter_base(folder, base_identity)  # intact, and trained on this base model
    except RagvsftError as exc:
        reason = str(exc)
    else:
        lora = load_adapter_meta(folder).get("lora", {})
        reason = ("its rank or target modules differ" if (lora.get("rank"), sorted(lora.get("target_modules", ())))
                  != (settings.rank, sorted(settings.target_modules)) else "")
    if reason:
        console.print(f"[yellow]training from scratch:[/] cannot warm-start from {escape(f'{folder}: {reason}')}")
        return None
    return folder
