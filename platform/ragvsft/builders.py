"""The parts several recipes build from an experiment's settings: the embedder, the retriever over the live
index, the arms with their generators, and the LLM judge. Recipes call these; no recipe imports another's internals.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ragvsft.answer_limits import AnswerLimits, answer_limits
from ragvsft.arms import ARMS, endpoint_arm
from ragvsft.chunking import RULES_VERSION
from ragvsft.config import ExperimentConfig, ExtraArm, IndexConfig, JudgeConfig, ModelConfig
from ragvsft.corpus import Corpus
from ragvsft.corpus_state import CorpusState
from ragvsft.device import inference_dtype
from ragvsft.embedders import SentenceTransformerEmbedder, embedder_identity
from ragvsft.errors import RagvsftError
from ragvsft.evaluation import Arm
from ragvsft.generators import Generator, HFGenerator, OpenAIGenerator
from ragvsft.indexing import IndexSpec, load_index, load_index_version
from ragvsft.metrics import METRICS
from ragvsft.models import load_tokenizer
from ragvsft.retriever import DenseRetriever
from ragvsft.urls import is_loopback


def build_embedder(index: IndexConfig, *, measuring: bool = False) -> SentenceTransformerEmbedder:
    """The ``[index]`` embedder, on ``index.device``, in ``index.dtype`` — or in float32 when ``measuring``
    (metrics, leak checks, synthesis filters: a measurement must not depend on the machine's bfloat16 support).

    Example:
        >>> build_embedder(IndexConfig()).dim  # doctest: +SKIP
        384
    """
    return SentenceTransformerEmbedder(index.embedder, batch_size=index.embed_batch_size, device=index.device,
                                       dtype="float32" if measuring else index.dtype)


def index_spec(index: IndexConfig) -> IndexSpec:
    """What decides the ``[index]``'s content besides the documents (the embedder by content hash and precision)."""
    identity = embedder_identity(index.embedder, inference_dtype(index.device, index.dtype))
    return IndexSpec(identity, index.chunk_chars, index.chunk_overlap_chars, index.index_type, index.hnsw_m,
                     index.ivf_lists, index.ivf_probe)


def corpus_state(config: ExperimentConfig, corpus: Corpus) -> CorpusState:
    """The state a release built from ``corpus`` under ``config`` records: content hashes, and the settings that
    decide the index and the adapter (``ragvsft retrain`` rebuilds what they decide when they change)."""
    raft_chunks = [config.index.chunk_chars, config.index.chunk_overlap_chars]
    if config.finetune.reads_chunks:
        raft_chunks.append(RULES_VERSION)
    adapter = {"finetune": config.finetune.determining(), "base_model": config.model.base_model,
               "prompt": dataclasses.asdict(config.prompt), "seed": config.seed, "raft_chunks": raft_chunks}
    if config.finetune.targets == "labeller":  # whose answers the adapter learns decides it too
        adapter["labeller"] = dataclasses.asdict(config.synthesize.labeller)
    return CorpusState.of(corpus, index_settings=dataclasses.asdict(index_spec(config.index)), adapter_settings=adapter)


def load_retriever(index: IndexConfig, index_root: Path, *, embedder: SentenceTransformerEmbedder | None = None,
                   version_dir: Path | None = None, queries_alone: bool = False) -> tuple[DenseRetriever, dict[str, Any]]:
    """The live index under ``index_root`` — or the version folder ``version_dir`` — checked against the
    configured embedder, and its manifest.

    The index is loaded first, so a missing or mismatched index fails before the embedder loads.

    Example:
        >>> retriever, manifest = load_retriever(config.index, config.output_dir / "index")  # doctest: +SKIP
    """
    expected, ef = index_spec(index).embedder_identity, index.hnsw_ef_search
    store, manifest = (load_index_version(version_dir, expected_embedder=expected, hnsw_ef_search=ef) if version_dir
                       else load_index(index_root, expected_embedder=expected, hnsw_ef_search=ef))
    return DenseRetriever(embedder or build_embedder(index), store, queries_alone=queries_alone), manifest


def build_generator(model: ModelConfig, *, adapter_dir: Path | None = None, name: str = "") -> HFGenerator:
    """A local generator for ``model.base_model`` (or ``name``), with the adapter in ``adapter_dir`` merged into
    its own copy of the weights if given (nothing else shares that copy, and merged costs no more than the base) —
    unless answers must be batch-invariant: the server runs adapters unmerged, and in bfloat16 a merged weight
    rounds the adapter's update away in part (25 of 32 demo answers equal to the unmerged ones). (With
    ``model.int4_decoding`` on a CPU, decoding adds the adapter's low-rank term to 4-bit copies of the base weights:
    ``ragvsft.generators.int4_weights.merge_beside_int4``.)"""
    return HFGenerator(name or model.base_model, cache_dir=model.cache_dir, adapter=adapter_dir,
                       batch_size=model.batch_size, device=model.device,
                       merge_adapter=adapter_dir is not None and not model.batch_invariant, dtype=model.dtype,
                       pack_weights=model.pack_weights, int4_decoding=model.int4_decoding,
                       batch_invariant=model.batch_invariant)


def build_answer_limits(model: ModelConfig, training_answers: Sequence[str]) -> AnswerLimits:
    """The answer budget and stop strings every arm uses — and the server, so a served answer is the evaluated one:
    as configured, else fitted to the training answers (paragraph answers must not be cut to a short-fact budget).

    Example:
        >>> build_answer_limits(ModelConfig(max_new_tokens=24, stop=("\\n",)), ["22 weeks"]).max_new_tokens
        24
    """
    fit = model.max_new_tokens == 0 and bool(training_answers)  # only fitting the budget counts tokens
    tokenize = load_tokenizer(model.base_model, cache_dir=model.cache_dir).tokenize if fit else None
    return answer_limits(model.max_new_tokens, model.stop, training_answers, tokenize)


def build_arms(names: Sequence[str], extra_arms: Sequence[ExtraArm], model: ModelConfig, *,
               adapter_dir: Path | None, environ: Mapping[str, str],
               generators: dict[Any, Generator] | None = None) -> list[Arm]:
    """The named standard arms (one model load per adapter setting, shared by the arms that use it) and the
    endpoint arms, whose keys come from ``environ`` only, never from the experiment file.

    ``generators`` keeps loaded models between calls (keyed by model settings and adapter folder), so a sweep
    loads each once.

    Example:
        >>> [a.name for a in build_arms(["base", "rag"], [], ModelConfig(), adapter_dir=None, environ={})]
        ... # doctest: +SKIP
        ['base', 'rag']
    """
    loaded = {} if generators is None else generators
    arms = []
    for name in names:
        spec = ARMS[name]
        if spec.adapter and adapter_dir is None:
            raise ValueError(f"arm {name!r} needs a fine-tuned adapter, and none was given")
        # Every model setting that decides the generator (all but the answer budget), the adapter last: a sweep over
        # model.int4_decoding or model.batch_invariant must load a generator per value, not reuse the first.
        key = (dataclasses.replace(model, max_new_tokens=0, stop=None), adapter_dir if spec.adapter else None)
        if key not in loaded:
            loaded[key] = build_generator(model, adapter_dir=key[-1])
        arms.append(Arm(spec, loaded[key]))
    for extra in extra_arms:
        client = OpenAIGenerator(extra.base_url, extra.model, allow_plain_http=extra.allow_plain_http,
                                 api_key=endpoint_key(f"extra arm {extra.name!r}", extra.base_url, extra.api_key_env,
                                                      environ))
        arms.append(Arm(endpoint_arm(extra.name, retrieves=extra.retrieves, model=extra.model), client))
    return arms


def endpoint_key(label: str, base_url: str, variable: str, environ: Mapping[str, str]) -> str | None:
    """The API key for an endpoint, from the environment variable ``variable``. An unset variable is an error
    (the endpoint would refuse every question, minutes into a run), except for a server on this machine (local
    servers rarely take a key) or when ``api_key_env = ""`` says the endpoint takes none.

    Example:
        >>> endpoint_key("the judge", "http://127.0.0.1:8000/v1", "JUDGE_KEY", {}) is None
        True
    """
    if not variable:
        return None
    if key := environ.get(variable):
        return key
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or is_loopback(parts.hostname):  # the client reports a bad URL
        return None
    raise RagvsftError(f"{label}: the environment variable {variable} holding its API key is not set; export it, "
                       "or set api_key_env = \"\" if the endpoint takes no key")


def needs_judge(metric_names: Sequence[str]) -> bool:
    """Whether any of the named metrics asks for an LLM judge.

    Example:
        >>> needs_judge(["token_f1", "faithfulness"]), needs_judge(["faithfulness_judge"])
        (False, True)
    """
    return any("judge" in getattr(METRICS[m], "requires", ()) for m in metric_names)


def build_judge(judge: JudgeConfig, model: ModelConfig, *, environ: Mapping[str, str],
                label: str = "the judge") -> Generator:
    """The LLM judge of ``[evaluate.judge]`` — or another helper model configured alike (the labeller of
    ``[synthesize.labeller]``): an endpoint, or a local model (default: the base model)."""
    if judge.base_url:
        return OpenAIGenerator(judge.base_url, judge.model, allow_plain_http=judge.allow_plain_http,
                               api_key=endpoint_key(label, judge.base_url, judge.api_key_env, environ),
                               timeout_s=judge.timeout_s, max_concurrency=judge.max_concurrency)
    # float32: a judge's verdicts and a labeller's answers are measurements and training data, not served answers.
    return build_generator(dataclasses.replace(model, dtype="float32"), name=judge.model)
