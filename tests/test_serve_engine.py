"""The serving engine without HTTP: one base model, named adapters, mixed-mode batches, streaming, per-row budgets;
and once with the real packaged models: served answers equal the evaluation's, mode by mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import write_corpus
from lm_fixtures import lora_adapter
from ragvsft.arms import ARMS
from ragvsft.corpus import load_corpus
from ragvsft.device import native_bfloat16
from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.errors import RagvsftError
from ragvsft.evaluation import Arm, answer, retrieve_all
from ragvsft.generators import HFGenerator
from ragvsft.indexing import IndexSpec, build_index, load_index_version, read_current
from ragvsft.models import load_lm
from ragvsft.prompts import PromptTemplate
from ragvsft.retriever import DenseRetriever
from ragvsft.serve.engine import SERVE_MODES, Answer, Engine, Query, Release
from ragvsft.serve.streaming import TextStream

STOP = ("\n",)


def corpus_and_index(embedder_spec: str, tmp_path: Path,
                     dtype: str = "float32") -> tuple[Any, SentenceTransformerEmbedder, Any]:
    """The test corpus, its embedder and an index built from it under ``tmp_path``."""
    corpus = load_corpus(write_corpus(tmp_path / "corpus"), seed=0)
    embedder = SentenceTransformerEmbedder(embedder_spec, dtype=dtype)
    built = build_index(corpus.docs, lambda: embedder, tmp_path / "index",
                        IndexSpec(embedder.identity, chunk_chars=120, chunk_overlap_chars=20))
    return corpus, embedder, built


def served_and_evaluated(base: str, embedder_spec: str, tmp_path: Path, cache_dir: Path,
                         max_new_tokens: int) -> tuple[list[str], list[str], Engine, Release]:
    """Answers of the evaluation path (one model per adapter setting, as `ragvsft run` loads them) and of the engine
    (one model, every mode in one batch) to the same questions."""
    corpus, embedder, built = corpus_and_index(embedder_spec, tmp_path)
    lm = load_lm(base, cache_dir=cache_dir)
    adapter = lora_adapter(Path(lm.path), tmp_path / "adapter", base_identity=lm.identity)
    questions = list(corpus.qa)
    store, _ = load_index_version(built.path, expected_embedder=embedder.identity, hnsw_ef_search=64)
    retriever = DenseRetriever(embedder, store)
    contexts = retrieve_all(retriever, questions, 2)
    plain, tuned = HFGenerator(base, cache_dir=cache_dir), HFGenerator(base, cache_dir=cache_dir, adapter=adapter)
    evaluated = [r.answer for mode in SERVE_MODES for r in answer(
        Arm(ARMS[mode], tuned if ARMS[mode].adapter else plain), questions, PromptTemplate(), contexts=contexts,
        max_new_tokens=max_new_tokens, stop=STOP)[0]]
    engine = Engine(lm, embedder, template=PromptTemplate(), stop=STOP, hnsw_ef_search=64)
    release = engine.load_release(index_dir=built.path, index_version="1", adapter_dir=adapter, adapter_version="1")
    served = engine.answer([Query(q.question, mode, 2, max_new_tokens, release) for mode in SERVE_MODES for q in questions])
    return [a.text for a in served], evaluated, engine, release


def live_index(tmp_path: Path) -> Path:
    root = tmp_path / "index"
    return root / str(read_current(root))


def test_mixed_batch_equals_the_evaluation_mode_by_mode(tiny_lm_dir: Path, tiny_embedder_dir: Path,
                                                          tmp_path: Path) -> None:
    served, evaluated, _, _ = served_and_evaluated(str(tiny_lm_dir), str(tiny_embedder_dir), tmp_path,
                                                   tmp_path / "cache", max_new_tokens=8)
    assert served == evaluated
    assert served[:3] != served[6:9]  # the adapter changes answers: the rows did not all run as the base model


def test_packaged_models_serve_what_the_evaluation_recorded(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The real SmolLM2 and MiniLM, a real LoRA adapter: every mode, in one mixed batch, answers as evaluated."""
    cache_dir = Path(request.config.cache.mkdir("ragvsft-models"))
    served, evaluated, _, _ = served_and_evaluated("SmolLM2-135M-Instruct", "all-MiniLM-L6-v2", tmp_path, cache_dir,
                                                   max_new_tokens=16)
    assert served == evaluated and all(served)


def test_one_mode_batches_skip_the_per_row_adapter_path_and_answer_the_same(
        tiny_lm_dir: Path, tiny_embedder_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch whose rows all use the same adapter (or none) runs PEFT's plain path (faster), with the answers
    of the mixed path and of the evaluation."""
    served, evaluated, engine, release = served_and_evaluated(str(tiny_lm_dir), str(tiny_embedder_dir), tmp_path,
                                                              tmp_path / "cache", max_new_tokens=8)
    from peft.tuners.lora import Linear

    per_row: list[int] = []
    original = Linear._mixed_batch_forward
    monkeypatch.setattr(Linear, "_mixed_batch_forward", lambda *a, **k: per_row.append(1) or original(*a, **k))
    questions = [q.question for q in load_corpus(tmp_path / "corpus", seed=0).qa]
    for n, mode in enumerate(SERVE_MODES):
        alone = [a.text for a in engine.answer([Query(q, mode, 2, 8, release) for q in questions])]
        rows = slice(n * len(questions), (n + 1) * len(questions))
        assert alone == evaluated[rows] == served[rows]
    assert not per_row
    engine.answer([Query(questions[0], mode, 2, 8, release) for mode in SERVE_MODES])
    assert per_row  # the mixed batch's prefill: the patch sees PEFT's per-row path when it is used


def test_batch_invariant_retrieval_matches_the_evaluation_question_by_question(tiny_lm_dir: Path,
                                                                              tmp_path: Path) -> None:
    """Under ``batch_invariant`` the engine embeds each question of a batch alone, as evaluation does among all its
    questions, so both retrieve the same passages with the same scores; in bfloat16 one call for many questions
    gives some of them other vectors (MiniLM: up to 0.002 apart, enough to reorder near ties)."""
    _, embedder, built = corpus_and_index("all-MiniLM-L6-v2", tmp_path, dtype="bfloat16")
    questions = ["Who books travel?", "How long is parental leave, and who has to approve a request for it?",
                 "Where is travel booked?", "What is the per-diem rate for meals when travelling abroad for work?",
                 "Who signs expense reports?", "Which manager approves leave longer than two weeks in the summer?",
                 "Is there a limit?", "How many days of notice does an employee give before parental leave starts?"]
    store, _ = load_index_version(built.path, expected_embedder=embedder.identity, hnsw_ef_search=64)
    evaluated = DenseRetriever(embedder, store, queries_alone=True).search_many(questions, 3)
    engine = Engine(load_lm(str(tiny_lm_dir), cache_dir=tmp_path / "cache"), embedder, template=PromptTemplate(),
                    stop=STOP, hnsw_ef_search=64, batch_invariant=True)
    release = engine.load_release(index_dir=built.path, index_version="1", adapter_dir=None, adapter_version=None)
    served = engine.answer([Query(q, "rag", 3, 1, release) for q in questions[:5]])
    served += engine.answer([Query(q, "rag", 3, 1, release) for q in questions[5:]])

    def ranked(hits: Any) -> list[tuple[str, float]]:
        return [(h.chunk.id, h.score) for h in hits]

    assert [ranked(a.hits) for a in served] == [ranked(h) for h in evaluated]
    assert [ranked(h) for h in evaluated] == [ranked(DenseRetriever(embedder, store).search(q, 3)) for q in questions]
    if native_bfloat16("cpu"):  # what the setting prevents: in one call some questions get other scores
        assert [ranked(h) for h in DenseRetriever(embedder, store).search_many(questions, 3)] != \
            [ranked(h) for h in evaluated]


def test_streamed_pieces_add_up_and_budgets_are_per_row(tiny_lm_dir: Path, tiny_embedder_dir: Path,
                                                        tmp_path: Path) -> None:
    _, _, engine, release = served_and_evaluated(str(tiny_lm_dir), str(tiny_embedder_dir), tmp_path,
                                                 tmp_path / "cache", max_new_tokens=8)
    queries = [Query("How long is parental leave?", "hybrid", 2, 3, release),
               Query("How long is parental leave?", "base", 1, 12, release)]
    streams, pieces = [TextStream(engine.stop) for _ in queries], [[], []]

    def on_step(row: int, ids: list[int]) -> None:
        pieces[row].append(streams[row].update(engine.decode(ids)))

    answers = engine.answer(queries, on_step=on_step)
    assert answers[0].new_tokens <= 3 and answers[1].new_tokens <= 12
    for row, a in enumerate(answers):
        assert "".join(pieces[row]) + streams[row].finish(a.text) == a.text
    assert answers[0].hits and not answers[1].hits and len(answers[0].hits) == 2


def test_a_second_adapter_version_loads_beside_and_unloads(tiny_lm_dir: Path, tiny_embedder_dir: Path,
                                                           tmp_path: Path) -> None:
    _, _, engine, first = served_and_evaluated(str(tiny_lm_dir), str(tiny_embedder_dir), tmp_path,
                                               tmp_path / "cache", max_new_tokens=8)
    second = engine.load_release(index_dir=live_index(tmp_path), index_version="1", adapter_dir=tmp_path / "adapter",
                                 adapter_version="2")
    both = engine.answer([Query("Where is travel booked?", "finetuned", 2, 6, r) for r in (first, second)])
    assert both[0].text == both[1].text and second.adapter_name != first.adapter_name
    engine.unload(first)
    assert engine.answer([Query("Where is travel booked?", "finetuned", 2, 6, second)])[0].text == both[1].text
    with pytest.raises(Exception, match="adapter-v1"):  # PEFT refuses a row naming an unloaded adapter
        engine.answer([Query("Where is travel booked?", "finetuned", 2, 6, first)])


def test_adapter_of_another_base_is_refused(tiny_lm_dir: Path, tiny_embedder_dir: Path, tmp_path: Path) -> None:
    _, _, engine, first = served_and_evaluated(str(tiny_lm_dir), str(tiny_embedder_dir), tmp_path,
                                               tmp_path / "cache", max_new_tokens=8)
    other = lora_adapter(tiny_lm_dir, tmp_path / "other", base_identity="another-model@sha256:0000")
    index_dir = live_index(tmp_path)
    with pytest.raises(RagvsftError, match="trained on base model"):
        engine.load_release(index_dir=index_dir, index_version="1", adapter_dir=other, adapter_version="9")
    base_only = engine.load_release(index_dir=index_dir, index_version="1", adapter_dir=None, adapter_version=None)
    assert base_only.modes == ("base", "rag")
    with pytest.raises(RagvsftError, match="not served"):
        engine.answer([Query("Where is travel booked?", "hybrid", 2, 6, base_only)])


def test_the_batcher_sends_each_answer_back_the_step_it_ends(tiny_lm_dir: Path, tiny_embedder_dir: Path,
                                                            tmp_path: Path) -> None:
    """A 2-token answer batched with a 40-token one is answered while the long one still decodes."""
    import asyncio

    from ragvsft.serve.batcher import MicroBatcher

    _, embedder, built = corpus_and_index(str(tiny_embedder_dir), tmp_path)
    engine = Engine(load_lm(str(tiny_lm_dir), cache_dir=tmp_path / "cache"), embedder, template=PromptTemplate(),
                    stop=(), hnsw_ef_search=64)
    release = engine.load_release(index_dir=built.path, index_version="1", adapter_dir=None, adapter_version=None)
    engine._generator._eos_ids = []  # the tiny model may say its end token early: every answer runs its budget
    batcher = MicroBatcher(engine, max_batch_size=4, max_wait_ms=200, max_queue=8)

    async def both() -> tuple[set[str], Answer, Answer]:
        long = asyncio.ensure_future(batcher.submit(Query("Who books travel?", "rag", 2, 40, release)))
        short = asyncio.ensure_future(batcher.submit(Query("Who books travel?", "base", 2, 2, release)))
        done, _ = await asyncio.wait({long, short}, return_when=asyncio.FIRST_COMPLETED)
        return {"long" if task is long else "short" for task in done}, await short, await long

    batcher.start()
    try:
        first, short, long = asyncio.run(both())
    finally:
        batcher.stop()
    assert first == {"short"} and short.batch_rows == long.batch_rows == 2
    assert (short.new_tokens, long.new_tokens) == (2, 40) and short.generation_ms < long.generation_ms
