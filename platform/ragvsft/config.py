"""Experiment configuration: ``experiments/<name>.toml`` -> frozen dataclasses.

The dataclasses are the schema (litgpt style): each field's type, default and
docstring is the documentation. Unknown keys and wrongly typed values are
errors naming the key. ``--set section.key=value`` overrides apply before
validation, so they are checked exactly like the file.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ragvsft.arms import ARMS, DEFAULT_ARMS
from ragvsft.cron import cron_problem
from ragvsft.device import DEVICE_HELP, valid_device
from ragvsft.errors import TOO_DEEP, ConfigError
from ragvsft.finetune import LoraSettings
from ragvsft.gates import GateSettings
from ragvsft.metrics import JUDGE_FREE, METRICS
from ragvsft.prompts import PromptTemplate, template_problem
from ragvsft.textforms import decode, decode_problem


@dataclass(frozen=True)
class IndexConfig:
    """How documents become a searchable FAISS index.

    Example:
        >>> IndexConfig(chunk_chars=400).chunk_overlap_chars
        100
    """

    embedder: str = "all-MiniLM-L6-v2"
    """Sentence-transformers model: ``all-MiniLM-L6-v2`` (the packaged copy, offline), a local folder, or a hub id."""
    chunk_chars: int = 800
    """Target chunk length in characters (LangChain's recursive splitter keeps paragraphs together when it can)."""
    chunk_overlap_chars: int = 100
    """Characters shared by neighbouring chunks, so a fact cut at a boundary survives in one of them."""
    index_type: Literal["flat", "hnsw", "ivf"] = "flat"
    """``flat``: exact inner-product search. ``hnsw``: approximate graph search, for hundreds of thousands of chunks.
    ``ivf``: approximate, vectors split into ``ivf_lists`` clusters trained on the corpus, ``ivf_probe`` of them
    searched per query — for millions of chunks (its recall against flat is in the README)."""
    hnsw_m: int = 32
    """HNSW graph degree (only for ``index_type = "hnsw"``)."""
    hnsw_ef_search: int = 64
    """HNSW search breadth: higher is more exact and slower."""
    ivf_lists: int = 0
    """IVF clusters (only for ``index_type = "ivf"``); 0: about 4·√chunks, with at least 39 chunks per cluster."""
    ivf_probe: int = 64
    """IVF clusters searched per query: higher is more exact and slower (stored in the index: a change rebuilds it
    from the stored vectors, without embedding again)."""
    embed_batch_size: int = 32
    """Chunks per forward pass. 32 measured ~11 % faster than 64 for MiniLM on a 2-core CPU (attention memory)."""
    top_k: int = 5
    """Chunks retrieved per question."""
    device: str = "auto"
    """Where the embedder runs: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """Precision of the embedder that builds the index and embeds questions: ``auto`` is bfloat16 where the hardware
    computes it natively (a CPU with AMX, an AMD CPU with AVX-512 BF16, a recent GPU; 2.7x faster than float32 on an AMX
    CPU), float32 elsewhere. Metrics always embed in float32, so their values do not depend on the machine."""


@dataclass(frozen=True)
class ModelConfig:
    """The language model every arm starts from, and how it generates."""

    base_model: str = "SmolLM2-135M-Instruct"
    """``SmolLM2-135M-Instruct`` (packaged, offline), any local Hugging Face folder, or a hub id."""
    cache_dir: Path = Path(".cache/ragvsft")
    """Where packaged GGUF weights are converted to safetensors once."""
    batch_size: int = 8
    """Questions generated together (left padding); 4-8x faster than one at a time on a CPU."""
    max_new_tokens: int = 0
    """Answer length cap in tokens; 0: fitted to the training answers (their 99th-percentile length + 25 %, at
    least 16), printed at the start of the evaluation."""
    stop: tuple[str, ...] | None = None
    """Generation is cut at the first of these strings; unset: a newline, unless a training answer spans lines
    (paragraph answers); ``[]``: no stop string."""
    device: str = "auto"
    """Where generation, fine-tuning and a local judge run: ``auto`` (CUDA when available, else CPU), ``cpu``,
    ``cuda`` or ``cuda:N``."""
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """Precision of the base model's weights in the fine-tune, the arms' answers and the server's: ``auto`` is
    bfloat16 where the hardware computes it natively (a CPU with AMX, an AMD CPU with AVX-512 BF16, a recent GPU; 2.1-2.4x faster
    than float32 on RAG prompts, 1.6x in training, on such CPUs), float32 elsewhere; ``float32`` is the reference.
    LoRA's own weights train in float32 either way. A local judge and labeller always run in float32."""
    pack_weights: bool = True
    """bfloat16 on a CPU (AMX or AVX-512 BF16): keep a second copy of each weight in oneDNN's layout for decoding
    (closed-book answers 1.1-1.4x faster, the same answers, as many bytes again as the linear layers: +251 MB for
    SmolLM2-135M); ``false`` keeps one copy. No effect elsewhere."""
    int4_decoding: bool = False
    """bfloat16 on a CPU: decode with a 4-bit copy of every linear layer's weight but the logits layer (groups of 32 with a
    scale and an offset each, like llama.cpp's Q4_1), for steps of up to 12 rows; prefill keeps the full weights
    (with evaluation's adapter merged), and an adapter adds its low-rank term to the 4-bit base weights. Batch-1
    closed-book answers 1.3-1.6x faster than the default, other answers, batched evaluation about even
    (``ragvsft.generators.int4_weights``). No effect on a GPU or on float32 weights."""
    batch_invariant: bool = False
    """Every answer the same in any batch (of up to 32 rows), bfloat16 included, so the server answers exactly what
    evaluation recorded: each prompt is prefilled alone, decoding attends row by row, one-row products run as two
    rows, adapters stay unmerged in evaluation and compute in the model's dtype, and each question is embedded alone
    for retrieval. Costs a forward pass per prompt (``ragvsft.generators.batch_invariant``).
    Without it a bfloat16 answer can change with its batch; float32 answers barely do."""


@dataclass(frozen=True)
class ExtraArm:
    """An extra arm answered by an OpenAI-compatible endpoint (vLLM, llama.cpp server, a hosted API)."""

    name: str
    """Arm name in reports (e.g. ``gpt-rag``)."""
    base_url: str
    """Endpoint root, e.g. ``http://127.0.0.1:8000/v1``."""
    model: str
    """Model name the endpoint expects."""
    retrieves: bool = True
    """Whether the arm gets the retrieved chunks."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the key (never put keys in the file)."""
    allow_plain_http: bool = False
    """Send the key over plain ``http://`` to a host other than this machine (only on a network you trust)."""


@dataclass(frozen=True)
class JudgeConfig:
    """The LLM judge behind ``faithfulness_judge`` and ``answer_relevance_reverse``; loaded only when one is asked for."""

    model: str = ""
    """Judge model: empty for the experiment's ``model.base_model`` run locally; with ``base_url``, the endpoint's
    model name; else a local folder, packaged name or hub id."""
    base_url: str = ""
    """OpenAI-compatible endpoint of the judge (empty: run ``model`` locally)."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the endpoint's key."""
    allow_plain_http: bool = False
    """Send the key over plain ``http://`` to a host other than this machine (only on a network you trust)."""
    timeout_s: float = 60
    """Seconds to wait for one reply, queueing at the endpoint included."""
    max_concurrency: int = 4
    """Requests in flight at once; 1 for a server that answers one at a time (llama.cpp, Ollama on a laptop),
    where the others would only wait in its queue and run out of ``timeout_s``."""


@dataclass(frozen=True)
class EvaluateConfig:
    """The evaluation: which arms answer, which metrics score them, and the judge."""

    arms: tuple[str, ...] = DEFAULT_ARMS
    """Which of the standard arms (``ragvsft.arms.ARMS``) to run: by default base, rag, finetuned, hybrid; add
    ``oracle`` / ``oracle_finetuned`` for the bound that perfect retrieval would give."""
    max_questions: int = 0
    """Evaluate at most this many eval questions (0: all) — for quick trials."""
    extra_arms: tuple[ExtraArm, ...] = ()
    """``[[evaluate.extra_arms]]`` tables: endpoints compared alongside."""
    metrics: tuple[str, ...] = JUDGE_FREE
    """Metrics to score every arm with (see README, Metrics). The default is every judge-free one; add
    ``faithfulness_judge`` / ``answer_relevance_reverse`` for the LLM-judge variants (configure ``[evaluate.judge]``)."""
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    """The LLM judge, used only by judge metrics."""
    cache: bool = True
    """Reuse answers and scores from ``<output_dir>/cache.sqlite`` (greedy answers and the metrics are
    deterministic); a cached answer keeps the latency measured when it was generated. ``false`` measures again."""


@dataclass(frozen=True)
class ReportConfig:
    """How the decision report (``ragvsft report``) weighs what was measured."""

    metric: str = "token_f1"
    """The quality metric of the curves and the verdict (any metric the arms are scored with)."""
    alpha: float = 0.05
    """Significance level: a paired difference with a Holm-adjusted p at or above it counts as no difference."""
    faithfulness_threshold: float = 0.5
    """An answer whose ``faithfulness`` is below this counts as a hallucination in the report's share."""
    match_margin: float = 0.05
    """How far below RAG a faster closed-book fine-tune may score and still match it in the verdict: the whole 95 %
    paired interval of (fine-tune − RAG) must lie above minus this (metric points)."""
    cpu_hour_price: float = 0.10
    """Price of one hour of the CPU machine that answers (USD), for the cost per 1,000 questions."""
    gpu_hour_price: float = 2.50
    """Price of one hour of the GPU machine that answers (USD), used when ``model.device`` is a GPU."""


@dataclass(frozen=True)
class ServeConfig:
    """How ``ragvsft serve`` answers over HTTP: where it listens, how it batches, what it accepts."""

    host: str = "127.0.0.1"
    """Address to bind; anything but a loopback address requires ``RAGVSFT_API_KEY`` in the environment."""
    port: int = 8000
    """TCP port (``--port`` overrides it)."""
    max_batch_size: int = 8
    """Requests decoded together, whatever their modes (1: no batching); each leaves the batch when answered."""
    max_wait_ms: float = 20.0
    """How long a batch being gathered waits for its next request; the wait restarts with every arrival, so a
    batch starts after this long without one (or when full): at most ``max_batch_size`` times this."""
    max_queue: int = 256
    """Requests waiting beyond this are refused with 429 (the client retries), instead of queueing without end."""
    max_body_bytes: int = 65536
    """Largest request body accepted; larger ones get 413."""
    request_timeout_s: float = 20.0
    """A client has this long to send a request's head (from connecting, or from its previous answer), and as long
    again for its body: a slower connection is closed (head) or answered 408 (body), so idle or trickling clients
    cannot pile up open connections. Answering time does not count."""
    max_question_chars: int = 4000
    """Longest question accepted (characters)."""
    max_top_k: int = 20
    """Largest ``top_k`` a request may ask for."""
    max_new_tokens_limit: int = 512
    """Largest ``max_new_tokens`` (``max_tokens``) a request may ask for; the default is the evaluation's."""
    poll_s: float = 30.0
    """How often the server asks the registry whether ``champion`` moved (0: never; no hot reload)."""
    log_questions: bool = False
    """Put the question text in the JSON access log (off: questions may hold personal data)."""


@dataclass(frozen=True)
class SynthesizeConfig:
    """``ragvsft synthesize``: a labeller model writes question/answer pairs from the corpus' chunks."""

    labeller: JudgeConfig = field(default_factory=JudgeConfig)
    """``[synthesize.labeller]``: ``model``, ``base_url``, ``api_key_env``, ``allow_plain_http`` as for the judge; by
    default the experiment's base model, run locally (it works, poorly: a large endpoint model is the usual case)."""
    per_chunk: int = 2
    """Questions asked for each chunk."""
    max_questions: int = 0
    """Stop asking once this many pairs are kept (0: every chunk)."""
    min_chunk_chars: int = 200
    """Chunks shorter than this (headings, fragments) are not asked about."""
    support_threshold: float = 0.6
    """An answer is kept when the default ``faithfulness`` scorer finds at least this share of it in its chunk."""
    max_new_tokens: int = 160
    """The labeller's reply budget per chunk."""


@dataclass(frozen=True)
class RetrainConfig:
    """How ``ragvsft retrain`` refreshes index and adapter and decides promotion; ``ragvsft schedule`` runs it."""

    arms: tuple[str, ...] = ("rag", "finetuned", "hybrid")
    """Arms answered by champion and challenger on the same eval questions; the challenger must pass the gates in
    every one (arms that need an adapter are left out for a corpus without one)."""
    gates: GateSettings = field(default_factory=GateSettings)
    """``[retrain.gates]``: the thresholds promotion must pass."""
    adapter_start: Literal["scratch", "champion"] = "scratch"
    """When training questions changed: train a new adapter from a fresh initialisation, or warm-start from the
    champion's weights (same LoRA rank and modules; otherwise from scratch, said on the console)."""
    warm_start_epochs: int = 1
    """Epochs of a warm start (the champion learnt the unchanged questions already)."""
    schedule: str = "0 3 * * *"
    """When ``ragvsft schedule`` runs a pass: a cron expression (minute hour day month weekday), local time."""
    misfire_grace_s: int = 3600
    """A pass that fell due while the scheduler was down still runs when it is back within this many seconds (once,
    however many were missed); an older one is logged as missed."""


@dataclass(frozen=True)
class RayConfig:
    """``[ray]``: run ``ragvsft sweep`` and ``ragvsft index`` on a Ray cluster (``--ray ADDRESS`` sets ``address``)."""

    address: str | None = None
    """Unset: no Ray. ``"local"``: a Ray instance started on this machine for the command; ``"auto"``: the cluster
    this machine belongs to (``ray start`` ran here); ``"host:6379"``: a cluster's head; ``"ray://host:10001"``: a
    cluster through Ray Client."""
    cpus: float = 1.0
    """CPUs each sweep task (an index build, a fine-tune, a point's evaluation) and each embedding actor asks for;
    also its torch thread count."""
    gpus: float = 0.0
    """GPUs each asks for (0.5 lets two share one). Ray hides GPUs from a task that asks for none; for embedding
    actors 0 means one GPU each when the cluster has GPUs and ``index.device`` is not ``cpu``."""
    embed_actors: int = 2
    """Embedding actors ``ragvsft index --ray`` runs at once (one model copy each)."""


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment: a corpus and how to index, train and evaluate on it.

    Example:
        >>> cfg = load_config(Path("experiments/demo.toml"))  # doctest: +SKIP
        >>> cfg.index.top_k  # doctest: +SKIP
        5
    """

    corpus: Path
    """Corpus folder holding ``docs/`` and ``qa.jsonl``; relative paths are resolved from the current directory."""
    name: str = ""
    """Experiment name; defaults to the config file's stem (``demo`` for ``experiments/demo.toml``)."""
    seed: int = 0
    """Seed for everything random: the train/eval split of lines without ``split``, sampling, training."""
    eval_fraction: float = 0.3
    """Share of ``qa.jsonl`` lines without a ``split`` that go to evaluation."""
    output_dir: Path = Path()
    """Where indexes, adapters and reports go; defaults to ``artifacts/<name>``."""
    near_duplicate_similarity: float = 0.8
    """Two pairs whose questions' embedding cosine is at least this, with the same answer and the same codes and
    numbers, are one question asked twice: ``synthesize`` keeps one, and ``check`` counts eval questions with such
    a twin in the training split (a leak, unless tagged ``seen_fact``)."""
    strict_corpus: bool = False
    """Make any file skipped in ``docs/`` (a link leading outside it, a broken link, an empty, binary, unreadable
    or unsupported file) an error instead of a warning: for corpora checked in CI."""
    index: IndexConfig = field(default_factory=IndexConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    prompt: PromptTemplate = field(default_factory=PromptTemplate)
    finetune: LoraSettings = field(default_factory=LoraSettings)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    retrain: RetrainConfig = field(default_factory=RetrainConfig)
    synthesize: SynthesizeConfig = field(default_factory=SynthesizeConfig)
    ray: RayConfig = field(default_factory=RayConfig)


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is Literal:
        return " or ".join(repr(v) for v in typing.get_args(tp))
    return getattr(tp, "__name__", str(tp))


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # in a setting's text: tab and newline are fine (prompts)


def _coerce(value: Any, tp: Any, key: str, where: str) -> Any:
    """Check one TOML value against a field type; TOML already gives int/float/str/bool."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):  # `X | None`: TOML has no null, so a value is an X
        (tp,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(where, f"'{key}' must be a table ([{key}]), got {value!r}")
        return _build(tp, value, where, prefix=f"{key}.")
    if typing.get_origin(tp) is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(where, f"'{key}' must be {_type_name(tp)}, got {value!r}")
        return value
    if typing.get_origin(tp) is tuple:
        if not isinstance(value, list):
            raise ConfigError(where, f"'{key}' must be a list, got {value!r}")
        item = typing.get_args(tp)[0]
        return tuple(_coerce(v, item, f"{key}[{i}]", where) for i, v in enumerate(value))
    if isinstance(value, str) and _CONTROLS.search(value):
        raise ConfigError(where, f"'{key}' holds a control character ({_CONTROLS.search(value).group()!r}); remove it")
    if tp is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(where, f"'{key}' must be a path string, got {value!r}")
        return Path(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(where, f"'{key}' must be a finite number, got {value!r}")
    # bool is an int subclass; `seed = true` is a mistake, not 1.
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise ConfigError(where, f"'{key}' must be {_type_name(tp)}, got {value!r}")
    return value


def _build(cls: type, data: dict[str, Any], where: str, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            where, f"unknown key '{prefix}{unknown[0]}'; allowed in this table: {', '.join(sorted(fields))}"
        )
    kwargs = {name: _coerce(value, hints[name], prefix + name, where) for name, value in data.items()}
    missing = [n for n, f in fields.items() if n not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(where, f"missing required key '{prefix}{missing[0]}'")
    return cls(**kwargs)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``index.chunk_chars=400`` -> (["index", "chunk_chars"], 400); bare words become strings."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError("--set", f"expected KEY=VALUE (e.g. index.top_k=3), got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # `--set index.embedder=/models/bge` needs no quoting
    except RecursionError:
        raise ConfigError("--set", f"the value of {key.strip()} is {TOO_DEEP}") from None
    return key.strip().split("."), value


def read_experiment(path: Path) -> dict[str, Any]:
    """The experiment file as TOML data (its ``[sweep]`` table included)."""
    if path.is_dir():
        raise ConfigError(path, "is a folder: give an experiment file (experiments/<name>.toml)")
    if not path.is_file():
        raise ConfigError(path, "experiment file not found (expected experiments/<name>.toml)")
    try:
        text = decode(path.read_bytes())  # a byte-order mark would otherwise be "invalid" at line 1
    except UnicodeDecodeError as exc:
        raise ConfigError(path, decode_problem(exc)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(path, f"not valid TOML: {TOO_DEEP}") from None


def set_key(data: dict[str, Any], keys: Sequence[str], value: Any, where: str) -> None:
    """Set ``a.b.c = value`` in nested TOML data, creating tables on the way."""
    table = data
    for key in keys[:-1]:
        table = table.setdefault(key, {})
        if not isinstance(table, dict):
            raise ConfigError(where, f"'{key}' is not a table, cannot set {'.'.join(keys)}")
    table[keys[-1]] = value


def config_from_data(data: dict[str, Any], path: Path, where: str) -> ExperimentConfig:
    """Validate TOML data (without ``[sweep]``) into a config; ``name`` and ``output_dir`` default from ``path``."""
    config: ExperimentConfig = _build(ExperimentConfig, data, where)
    name = config.name or path.stem
    _check_ranges(config, where)
    return dataclasses.replace(
        config, name=name, output_dir=config.output_dir if config.output_dir != Path() else Path("artifacts") / name
    )


def load_config(path: Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read, override and validate an experiment file. A ``[sweep]`` table is left to ``ragvsft sweep``.

    Example:
        >>> load_config(Path("experiments/demo.toml"), ["index.top_k=3"]).index.top_k  # doctest: +SKIP
        3
    """
    data = read_experiment(path)
    data.pop("sweep", None)
    for text in overrides or []:
        keys, value = parse_override(text)
        set_key(data, keys, value, "--set")
    where = f"{path} (with --set {', '.join(overrides)})" if overrides else str(path)
    return config_from_data(data, path, where)


def _check_ranges(config: ExperimentConfig, where: str) -> None:
    index, ft, ev = config.index, config.finetune, config.evaluate
    arm_names = list(ev.arms) + [a.name for a in ev.extra_arms]
    checks = [
        (0.0 <= config.eval_fraction <= 1.0, "eval_fraction must be between 0 and 1"),
        (index.chunk_chars > 0, "index.chunk_chars must be positive"),
        (0 <= index.chunk_overlap_chars < index.chunk_chars, "index.chunk_overlap_chars must be >= 0 and < chunk_chars"),
        (index.top_k > 0, "index.top_k must be positive"),
        (index.embed_batch_size > 0, "index.embed_batch_size must be positive"),
        (index.hnsw_m > 1 and index.hnsw_ef_search > 0, "index.hnsw_m must be > 1 and hnsw_ef_search > 0"),
        (index.ivf_lists >= 0 and index.ivf_probe > 0, "index.ivf_lists must be >= 0 (0: automatic) and ivf_probe > 0"),
        (config.model.batch_size > 0, "model.batch_size must be positive"),
        (config.model.max_new_tokens >= 0, "model.max_new_tokens must be >= 0 (0: fitted to the training answers)"),
        (valid_device(config.model.device), f"model.device {config.model.device!r} is not a device: {DEVICE_HELP}"),
        (valid_device(index.device), f"index.device {index.device!r} is not a device: {DEVICE_HELP}"),
        (ft.rank > 0 and ft.alpha > 0 and 0 <= ft.dropout < 1, "finetune.rank and alpha must be positive, dropout in [0, 1)"),
        (ft.epochs > 0 and ft.batch_size > 0 and ft.learning_rate > 0, "finetune.epochs, batch_size, learning_rate must be > 0"),
        (ft.max_length >= 32, "finetune.max_length must be at least 32"),
        (ft.max_batch_tokens >= 0, "finetune.max_batch_tokens must be >= 0 (0: never split a batch)"),
        (0 <= ft.lean_heap_share <= 1, "finetune.lean_heap_share must be in [0, 1] (0: lean from the start)"),
        (0 <= ft.warmup_ratio < 1 and ft.weight_decay >= 0 and ft.grad_clip >= 0,
         "finetune.warmup_ratio must be in [0, 1), weight_decay and grad_clip >= 0"),
        (0 <= ft.gold_fraction <= 1 and ft.context_k > 0, "finetune.gold_fraction must be in [0, 1], context_k positive"),
        (bool(ft.target_modules), "finetune.target_modules must not be empty"),
        (not (bad := [a for a in ev.arms if a not in ARMS]),
         f"evaluate.arms: unknown {', '.join(map(repr, bad))}; known: {', '.join(ARMS)}"),
        (all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", a) for a in arm_names),
         f"arm names may hold letters, digits, '_', '.', '-' (they name runs and files), got {arm_names}"),
        (not (clash := [a.name for a in ev.extra_arms if a.name in ARMS]),
         f"evaluate.extra_arms: {', '.join(map(repr, clash))} is a standard arm's name; pick another"),
        (bool(arm_names), "evaluate.arms is empty: nothing to evaluate"),
        (len(set(arm_names)) == len(arm_names), f"arm names must be unique, got {arm_names}"),
        (ev.max_questions >= 0, "evaluate.max_questions must be >= 0"),
        (bool(ev.judge.model) or not ev.judge.base_url, "evaluate.judge.base_url is set, so evaluate.judge.model "
                                                          "must name the endpoint's model"),
        (not (bad := [m for m in ev.metrics if m not in METRICS]),
         f"evaluate.metrics: unknown {', '.join(map(repr, bad))}; known: {', '.join(METRICS)}"),
        (config.prompt.few_shot >= 0, "prompt.few_shot must be >= 0"),
        (0 < ft.train_fraction <= 1, "finetune.train_fraction must be in (0, 1]"),
        (config.report.metric in ev.metrics,
         f"report.metric {config.report.metric!r} is not among evaluate.metrics ({', '.join(ev.metrics)})"),
        (0 < config.report.alpha < 1 and 0 <= config.report.faithfulness_threshold <= 1
         and 0 <= config.report.match_margin <= 1,
         "report.alpha must be in (0, 1), report.faithfulness_threshold and report.match_margin in [0, 1]"),
        (0 < config.near_duplicate_similarity <= 1, "near_duplicate_similarity must be in (0, 1]"),
        (config.synthesize.per_chunk > 0 and config.synthesize.max_questions >= 0
         and config.synthesize.min_chunk_chars >= 0 and config.synthesize.max_new_tokens > 0
         and 0 <= config.synthesize.support_threshold <= 1,
         "synthesize: per_chunk and max_new_tokens must be positive, max_questions and min_chunk_chars >= 0, "
         "support_threshold in [0, 1]"),
        (bool(config.synthesize.labeller.model) or not config.synthesize.labeller.base_url,
         "synthesize.labeller.base_url is set, so synthesize.labeller.model must name the endpoint's model"),
        (not (bad := [name for name, j in (("evaluate.judge", ev.judge), ("synthesize.labeller", config.synthesize.labeller))
                      if not (j.timeout_s > 0 and j.max_concurrency >= 1)]),
         f"{', '.join(bad)}: timeout_s must be positive and max_concurrency at least 1"),
        (config.report.cpu_hour_price >= 0 and config.report.gpu_hour_price >= 0, "report prices must be >= 0"),
        (config.ray.cpus > 0 and config.ray.gpus >= 0 and config.ray.embed_actors > 0,
         "ray: cpus and embed_actors must be positive, gpus >= 0"),
        (config.ray.address is None or bool(config.ray.address.strip()),
         "ray.address is empty: write \"local\" for a Ray instance on this machine, \"auto\" for the cluster it "
         "belongs to, or the head's host:port"),
        (0 < config.serve.port < 65536, "serve.port must be in 1..65535"),
        (config.serve.max_batch_size > 0 and config.serve.max_queue > 0 and config.serve.max_wait_ms >= 0,
         "serve.max_batch_size and max_queue must be positive, max_wait_ms >= 0"),
        (min(config.serve.max_body_bytes, config.serve.max_question_chars, config.serve.max_top_k,
             config.serve.max_new_tokens_limit, config.serve.request_timeout_s) > 0 and config.serve.poll_s >= 0,
         "serve limits (max_body_bytes, max_question_chars, max_top_k, max_new_tokens_limit, request_timeout_s) must "
         "be positive, poll_s >= 0"),
        (not (bad := [a for a in config.retrain.arms if a not in ARMS]) and bool(config.retrain.arms),
         f"retrain.arms: must name standard arms ({', '.join(ARMS)}), got {list(config.retrain.arms)}"),
        (0 <= config.retrain.gates.faithfulness_floor <= 1 and config.retrain.gates.latency_p95_ratio > 0
         and config.retrain.gates.max_latency_ms_p95 >= 0,
         "retrain.gates: faithfulness_floor must be in [0, 1], latency_p95_ratio > 0, max_latency_ms_p95 >= 0"),
        (config.retrain.warm_start_epochs > 0 and config.retrain.misfire_grace_s > 0,
         "retrain.warm_start_epochs and misfire_grace_s must be positive"),
        (not (bad := cron_problem(config.retrain.schedule)),
         f"retrain.schedule: {bad}; give 5 fields, minute hour day month weekday, e.g. '0 3 * * *' (03:00 daily)"),
        (not (bad := template_problem(config.prompt.closed_book, ["question"])), f"prompt.closed_book: {bad}"),
        (not (bad := template_problem(config.prompt.with_context, ["question", "context"])),
         f"prompt.with_context: {bad}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(where, message)


def config_to_dict(config: Any) -> dict[str, Any]:
    """Flat ``{"index.top_k": 5, ...}`` view, for logging as MLflow params."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out.update({f"{f.name}.{k}": v for k, v in config_to_dict(value).items()})
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            out[f.name] = ", ".join(getattr(v, "name", str(v)) for v in value)
        else:
            out[f.name] = str(value) if isinstance(value, Path) else value
    return out
