"""Index recipe: corpus -> chunks -> embeddings -> FAISS, then a retrieval check, logged to MLflow.

    ragvsft index experiments/demo.toml [--set index.chunk_chars=400] [--ray ADDRESS]

With ``--ray`` (or ``[ray] address``) the chunks are embedded by Ray Data actors (``ragvsft.ray_embedding``) and
the FAISS index is built here from their vectors: the same index as a local build.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ragvsft import ray_cluster, tracking
from ragvsft.builders import build_embedder, index_spec, load_retriever
from ragvsft.config import ExperimentConfig, config_to_dict
from ragvsft.embedders import Embedder, SentenceTransformerEmbedder
from ragvsft.errors import RagvsftError
from ragvsft.indexing import BuiltIndex, build_index, load_index_version, overlong_chunks_note
from ragvsft.pipelines.common import ForwardFn, load_experiment_corpus, peak_rss_mb, step_progress
from ragvsft.ray_embedding import RayDataEmbedder, actor_gpus
from ragvsft.retrieval_eval import MRR_DEPTH, RetrievalScores, chance_scores, first_relevant_rank, score_retrieval

LOGGED_TAG = "ragvsft.index.logged_fingerprint"  # on the run whose artifacts hold that index version
CHANCE_NOTE = 0.5  # a random ranking's hit@5 from which the measured one is noted as saying little


@dataclass(frozen=True)
class IndexResult:
    built: BuiltIndex
    retrieval: RetrievalScores | None
    run_id: str
    tracking_uri: str
    artifact_uri: str  # where the version's files live in MLflow (what the registry points at)
    artifact_run_id: str  # the run that logged them: this one, or an earlier one for an unchanged index


def main(
    config: ExperimentConfig, console: Console, *, parent_run_id: str | None = None, forward: ForwardFn | None = None,
    reuse_dir: Path | None = None,
) -> IndexResult:
    """Run the recipe; ``parent_run_id``/``forward`` are set when `ragvsft run` starts it beside the fine-tune;
    ``reuse_dir`` (an earlier index version, e.g. the champion's) makes the build embed only new chunks."""
    # 1. Load and validate the corpus: bad input fails here, before any model loads.
    corpus = load_experiment_corpus(config, console)
    cfg = config.index
    spec = index_spec(cfg)
    uri = tracking.tracking_uri()
    experiment = tracking.experiment_name(corpus.name)
    index_root = config.output_dir / "index"

    with tracking.run(
        uri=uri, experiment=experiment, name=f"index-{config.name}" if parent_run_id else
        tracking.run_title(f"index-{config.name}", corpus.name, cfg.embedder),
        description=f"FAISS index of {corpus.name} ({cfg.embedder}, {cfg.chunk_chars}-char chunks) and a retrieval check",
        tags={"ragvsft.pipeline": "index", "ragvsft.experiment": config.name}, parent_run_id=parent_run_id,
    ) as logged:
        logged.log_params(config_to_dict(config))

        # 2. Build the index, or reuse the published one when nothing changed; on Ray, actors embed the chunks.
        embedder: SentenceTransformerEmbedder | None = None
        cluster = ExitStack()  # a Ray connection, made only when chunks need embedding

        def make_embedder() -> Embedder:
            nonlocal embedder
            if config.ray.address is not None:
                ray = cluster.enter_context(ray_cluster.connected(config.ray.address))
                gpus = actor_gpus(config.ray, cfg.device, ray.cluster_resources().get("GPU", 0))
                console.print(f"{ray_cluster.cluster_line(ray)}; embedding with {config.ray.embed_actors} actors "
                              f"(cpus={config.ray.cpus:g}, gpus={gpus:g} each)")
                return RayDataEmbedder(cfg, config.ray, gpus=gpus)
            embedder = build_embedder(cfg)
            return embedder

        reuse = None
        if reuse_dir is not None:
            try:
                reuse, earlier = load_index_version(reuse_dir, expected_embedder=spec.embedder_identity,
                                                    hnsw_ef_search=cfg.hnsw_ef_search)
                if earlier["embedder"]["identity"] != spec.embedder_identity:  # one index, one precision
                    raise RagvsftError(f"its vectors come from {earlier['embedder']['identity']}, this build's "
                                       f"from {spec.embedder_identity}")
            except RagvsftError as exc:  # another embedder, or damaged files: embed everything
                reuse = None
                console.print(f"[yellow]full rebuild:[/] the earlier index cannot be reused ({escape(str(exc))})")
        with cluster, step_progress(console, "index: embedding chunks", forward) as step:
            built = build_index(
                corpus.docs, make_embedder, index_root, spec, hnsw_ef_search=cfg.hnsw_ef_search,
                on_progress=lambda _stage, done, total: step(done, total), reuse=reuse,
            )
        counts = built.manifest["counts"]
        if built.damaged:
            console.print(f"[yellow]damaged index version set aside and built again:[/] {escape(built.damaged)}")
        if built.reused:
            console.print(f"index unchanged, reusing {escape(str(built.path))} ({counts['chunks']} chunks)")
        else:
            total_s = built.manifest["timings_s"]["total"]
            console.print(f"built {escape(str(built.path))}: {counts['chunks']} chunks in {total_s:.1f} s "
                          f"({counts['chunks'] / total_s:.1f} chunks/s; {counts['embedded']} embedded, "
                          f"{counts['reused_vectors']} vectors reused)")
        if note := overlong_chunks_note(built.manifest):
            console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)

        # 3. The version's files travel as run artifacts, so a registered version never points at this machine's
        #    disk (which keeps only the newest versions); an unchanged index points at the copy already logged.
        fingerprint = built.manifest["fingerprint"]
        earlier = tracking.find_run(uri, experiment, {LOGGED_TAG: fingerprint}) if built.reused else None
        if earlier is not None:
            artifact_uri, artifact_run_id = f"{earlier.info.artifact_uri}/index", earlier.info.run_id
            logged.log_dict(built.manifest, "index/manifest.json")
        else:
            artifact_uri, artifact_run_id = logged.log_artifacts(built.path, "index"), logged.run_id
            logged.set_tags({LOGGED_TAG: fingerprint})
        logged.log_params({"index_artifact_uri": artifact_uri})
        logged.log_dict(corpus.split_record(), "corpus/split.json")
        metrics: dict[str, float] = {
            "documents": len(corpus.documents), "skipped_files": len(corpus.docs.skipped),
            "chunks": counts["chunks"], "index_reused": float(built.reused),
        } | ({"chunks_over_embedder_limit": built.manifest["chunking"]["chunks_over_embedder_limit"]}
             if "chunks_over_embedder_limit" in built.manifest["chunking"] else {})
        if not built.reused:
            timings = built.manifest["timings_s"]
            metrics |= {"build_s": timings["total"], "embed_s": timings["embed"], "chunks_embedded": counts["embedded"],
                        "chunks_per_s": counts["chunks"] / timings["total"]}

        # 4. Retrieval check on eval questions that name their sources.
        questions = [qa for qa in corpus.split("eval") if qa.sources]
        scores = None
        if questions:
            retriever, _ = load_retriever(cfg, index_root, embedder=embedder, version_dir=built.path)
            started = time.perf_counter()
            hits = retriever.search_many([qa.question for qa in questions], k=MRR_DEPTH)
            search_ms = (time.perf_counter() - started) * 1000 / len(questions)
            scores = score_retrieval(hits, [qa.sources for qa in questions])
            chance = chance_scores(retriever.store.chunks, [qa.sources for qa in questions])
            metrics |= scores.as_metrics() | {"search_ms_per_question": search_ms, "hit_at_1_chance": chance.hit_at_1,
                                              "hit_at_5_chance": chance.hit_at_5, "mrr_chance": chance.mrr}
            logged.log_table(_retrieval_rows(questions, hits), "retrieval/per_question.json")
            console.print(f"retrieval on {scores.questions} eval questions: hit@1 {scores.hit_at_1:.3f}  "
                          f"hit@5 {scores.hit_at_5:.3f}  MRR@{MRR_DEPTH} {scores.mrr:.3f}  (a random ranking: "
                          f"{chance.hit_at_1:.3f} / {chance.hit_at_5:.3f} / {chance.mrr:.3f})")
            if chance.hit_at_5 >= CHANCE_NOTE:
                console.print(f"[yellow]note: a random ranking would find the source in the first 5 for "
                              f"{chance.hit_at_5:.0%} of these questions (their documents hold much of the corpus' "
                              f"{len({c.text for c in retriever.store.chunks})} passages): hit@5 says little here; "
                              "judge retrieval by hit@1 and the rag arms' answers[/]")
        else:
            console.print("[yellow]no eval questions with sources: retrieval check skipped[/]")

        metrics["peak_rss_mb"] = peak_rss_mb()
        logged.log_metrics(metrics)
    console.print(f"logged run {logged.run_id}; view it with: {tracking.ui_command(uri)}")
    return IndexResult(built, scores, logged.run_id, uri, artifact_uri, artifact_run_id)


def _retrieval_rows(questions: list, hits: list) -> list[dict[str, Any]]:
    return [
        {"id": qa.id, "question": qa.question, "sources": ", ".join(qa.sources), "tags": ", ".join(qa.tags),
         "first_relevant_rank": first_relevant_rank(h, qa.sources) or 0,
         "top_chunks": ", ".join(hit.chunk.id for hit in h[:5])}
        for qa, h in zip(questions, hits)
    ]
