"""Releases: the index + adapter pair that answers, moved as one.

A release is a version of the registered model ``ragvsft-<corpus>-release``:
its tags name an index version and an adapter version (none for a corpus
without adapter arms), and its files (``release.json``) hold the corpus state
it was built from (:class:`~ragvsft.corpus_state.CorpusState`), which
``ragvsft retrain`` diffs against, and the training split's question/answer
pairs, from which a server with ``prompt.few_shot`` takes its worked examples
(the ones evaluation took them from, whatever the corpus on disk holds now).
``ragvsft run`` and ``ragvsft retrain`` register releases as ``challenger``;
promotion points the release's ``champion`` alias at one — **one registry
write**, so the server (which reads only that alias) never sees a new index
with an old adapter, whatever moment a promotion is killed at.

The index and adapter models carry ``champion`` aliases too, for people and
tools that look there; they mirror the champion release and are moved after
it. A promotion killed between the two leaves them behind for a moment;
:func:`sync_mirrors`, called at the start of every retrain pass and promotion,
brings them level.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragvsft import tracking
from ragvsft.config import ExperimentConfig, config_to_dict
from ragvsft.corpus_state import CorpusState
from ragvsft.device import inference_dtype, resolve_device
from ragvsft.errors import RagvsftError
from ragvsft.fewshot import Example
from ragvsft.urls import masked_uri

CHAMPION, CHALLENGER = "champion", "challenger"
RELEASE_FILE = "release.json"
RELEASE_KEY_TAG = "release_key"  # index/adapter/state: a release registered twice keeps one version


@dataclass(frozen=True)
class ReleaseRecord:
    """A registered release: its version, the alias it was found under, and the pair it names.

    Example:
        >>> ReleaseRecord("2", "champion", "3", "2").note
        ''
        >>> ReleaseRecord("1", "challenger", "3", None).note
        'no champion yet: serving the challenger (release v1: index v3, no adapter)'
    """

    version: str
    alias: str | None
    index_version: str
    adapter_version: str | None

    @property
    def key(self) -> tuple[str, str | None]:
        """What the server loads: a new release with the same pair needs no reload."""
        return self.index_version, self.adapter_version

    @property
    def describe(self) -> str:
        adapter = f"adapter v{self.adapter_version}" if self.adapter_version else "no adapter"
        return f"release v{self.version}: index v{self.index_version}, {adapter}"

    @property
    def note(self) -> str:
        """Empty when the champion is served; else what is served instead."""
        return "" if self.alias == CHAMPION else f"no champion yet: serving the challenger ({self.describe})"


MODEL_DESCRIPTIONS = {
    "index": "FAISS indexes of the corpus {corpus} (chunks, embeddings, manifest), one version per distinct build.",
    "adapter": "LoRA adapters fine-tuned on the corpus {corpus}'s training questions (PEFT files and the training "
               "record), one version per distinct training.",
    "release": "Index + adapter pairs of the corpus {corpus} that answer together. `champion` is what `ragvsft serve` "
               "answers with; `challenger` is the newest measured pair (`ragvsft promote` or `ragvsft retrain` "
               "moves champion).",
}


def release_name(corpus: str) -> str:
    """Example:
    >>> release_name("demo")
    'ragvsft-demo-release'
    """
    return tracking.registered_name(corpus, "release")


def _record(uri: str, corpus: str, version: str, alias: str | None) -> ReleaseRecord:
    tags = tracking.version_tags(uri, release_name(corpus), version)
    return ReleaseRecord(version, alias, tags["index_version"], tags.get("adapter_version") or None)


def find_release(uri: str, corpus: str, alias: str) -> ReleaseRecord | None:
    """The release ``alias`` points at, or None."""
    version = tracking.alias_version(uri, release_name(corpus), alias)
    return None if version is None else _record(uri, corpus, version, alias)


def served_release(uri: str, corpus: str) -> ReleaseRecord:
    """The champion, else the challenger (before any promotion); an error saying what to run when neither exists."""
    for alias in (CHAMPION, CHALLENGER):
        if (found := find_release(uri, corpus, alias)) is not None:
            return found
    raise RagvsftError(f"nothing to serve: {release_name(corpus)} has no champion or challenger version in "
                       f"{masked_uri(uri)}; a complete `ragvsft run` (or `ragvsft retrain`) registers one")


def register_release(uri: str, corpus: str, *, index_version: str, adapter_version: str | None, state: CorpusState,
                     examples: Sequence[Example], logger: tracking.RunLogger, alias: str = CHALLENGER) -> ReleaseRecord:
    """Register the pair as a release (``release.json`` logged to ``logger``'s run, with the training split's
    ``examples``) and point ``alias`` at it; the same pair built from the same corpus state keeps its version."""
    body = {"format": 1, "corpus": corpus, "index_version": index_version, "adapter_version": adapter_version,
            "state": state.to_json(), "train_pairs": [list(pair) for pair in examples]}
    # Over the pairs too: a release registered before they were kept is not taken for one that has them.
    state_key = hashlib.sha256(json.dumps([body["state"], body["train_pairs"]], sort_keys=True).encode()).hexdigest()[:16]
    key = f"{index_version}/{adapter_version or '-'}/{state_key}"
    logger.log_dict(body, f"release/{RELEASE_FILE}")
    version = tracking.register_version(
        uri, name=release_name(corpus), source=f"{logger.artifact_uri}/release", run_id=logger.run_id,
        description=f"index v{index_version}, " + (f"adapter v{adapter_version}" if adapter_version else "no adapter"),
        model_description=MODEL_DESCRIPTIONS["release"].format(corpus=corpus), alias=alias,
        tags={"index_version": index_version, "adapter_version": adapter_version or "", RELEASE_KEY_TAG: key},
        same_as=(RELEASE_KEY_TAG, key))
    return ReleaseRecord(version, alias, index_version, adapter_version)


def register_pair(uri: str, corpus: str, idx: Mapping[str, Any] | None, ft: Mapping[str, Any] | None, *,
                  state: CorpusState, examples: Sequence[Example], logger: tracking.RunLogger, alias: str = CHALLENGER,
                  index_version: str | None = None, adapter_version: str | None = None) -> ReleaseRecord:
    """Register what the index and fine-tune pipelines produced (their outcome payloads: artifact URI, run,
    fingerprint) as versions of the index and adapter models — a fingerprint registered already keeps its version —
    and the pair as a release under ``alias``. Without a payload, ``index_version`` / ``adapter_version`` name
    versions registered before (what ``ragvsft retrain`` did not rebuild)."""
    if idx is not None:
        index_version = tracking.register_version(
            uri, name=tracking.registered_name(corpus, "index"), source=idx["artifact_uri"],
            run_id=idx["artifact_run_id"], description=f"FAISS index {idx['fingerprint']}", alias=alias,
            model_description=MODEL_DESCRIPTIONS["index"].format(corpus=corpus),
            tags={"fingerprint": idx["fingerprint"]}, same_as=("fingerprint", idx["fingerprint"]))
    if ft is not None:
        adapter_version = tracking.register_version(
            uri, name=tracking.registered_name(corpus, "adapter"), source=ft["adapter_uri"], run_id=ft["run_id"],
            description=f"LoRA adapter on {ft['base_identity']}", alias=alias,
            model_description=MODEL_DESCRIPTIONS["adapter"].format(corpus=corpus),
            tags={"base_model_identity": ft["base_identity"], "fingerprint": ft["fingerprint"]},
            same_as=("fingerprint", ft["fingerprint"]))
    if index_version is None:
        raise ValueError("a release needs an index: pass the index pipeline's outcome or an index version")
    return register_release(uri, corpus, index_version=index_version, adapter_version=adapter_version, state=state,
                            examples=examples, logger=logger, alias=alias)


@dataclass(frozen=True)
class Evaluation:
    """What a release measured, for its registry versions: the run that measured it, the corpus and model it saw,
    and each arm's headline numbers (``arm -> metric -> value``) with whether the arm used the index or adapter."""

    run_id: str
    docs_sha256: str
    base_model: str
    arms: dict[str, dict[str, float]]
    retrieval_arms: frozenset[str]
    adapter_arms: frozenset[str]

    def lines(self, arms: frozenset[str] | set[str]) -> str:
        """``rag: token_f1 0.412, faithfulness 0.45; hybrid: ...`` for the arms named."""
        return "; ".join(f"{arm}: " + ", ".join(f"{m} {v:g}" for m, v in numbers.items())
                         for arm, numbers in self.arms.items() if arm in arms)

    def tags(self, arms: frozenset[str] | set[str]) -> dict[str, str]:
        return {"eval_run_id": self.run_id, "docs_sha256": self.docs_sha256, "base_model": self.base_model,
                **{f"{arm}.{m}": f"{v:g}" for arm, numbers in self.arms.items() if arm in arms
                   for m, v in numbers.items()}}


def annotate(uri: str, corpus: str, record: ReleaseRecord, evaluation: Evaluation) -> None:
    """Write what ``evaluation`` measured into the release's registry versions (and its index and adapter
    versions): a description a reviewer can act on, and tags (run id, corpus digest, base model, each arm's
    headline numbers) that searches and the UI show."""
    measured = f"measured in run {evaluation.run_id} on {evaluation.base_model}"
    everything = frozenset(evaluation.arms)
    tracking.update_version(uri, release_name(corpus), record.version, tags=evaluation.tags(everything),
                            description=f"{record.describe}; {measured}: {evaluation.lines(everything)}")
    for kind, version, arms, what in (
            ("index", record.index_version, evaluation.retrieval_arms, "FAISS index (with its chunks and manifest)"),
            ("adapter", record.adapter_version, evaluation.adapter_arms, "LoRA adapter (PEFT files and the "
                                                                         "training record)")):
        if version is not None:
            tracking.update_version(uri, tracking.registered_name(corpus, kind), version,  # type: ignore[arg-type]
                                    tags=evaluation.tags(arms),
                                    description=f"{what} of release v{record.version}; {measured}: "
                                                f"{evaluation.lines(arms) or 'no arm used it'}")


# The settings that decide a served answer besides the release's index and adapter: a server whose experiment file
# differs from the evaluation's in one of them answers otherwise than the evaluation recorded.
ANSWERING_SETTINGS = ("index.embedder", "index.dtype", "index.top_k", "index.hnsw_ef_search", "index.ivf_probe",
                      "model.base_model", "model.dtype", "model.max_new_tokens", "model.stop", "model.int4_decoding",
                      "model.batch_invariant", "prompt.system", "prompt.closed_book", "prompt.with_context",
                      "prompt.few_shot",
                      "model.resolved_device", "model.resolved_dtype")


def answering_params(config: ExperimentConfig) -> dict[str, Any]:
    """``config``'s settings as a run logs them (``config_to_dict``), plus the kind of device and the dtype its
    ``auto`` settings come to on this machine: ``model.dtype = "auto"`` is bfloat16 on one machine and float32 on
    another, which answer differently under the same file.

    Example:
        >>> answering_params(config)["model.resolved_dtype"]  # doctest: +SKIP
        'bfloat16'
    """
    model = config.model
    return config_to_dict(config) | {"model.resolved_device": resolve_device(model.device).partition(":")[0],
                                     "model.resolved_dtype": inference_dtype(model.device, model.dtype)}


def settings_differences(uri: str, corpus: str, record: ReleaseRecord,
                         settings: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """``{key: (evaluated, here)}`` for the answering settings (``ANSWERING_SETTINGS``) in which ``settings`` (the
    serving experiment's :func:`answering_params`) differ from those of the run that measured ``record``; empty when they
    agree, or when the release has no measuring run this store can read.

    Example:
        >>> settings_differences(uri, "demo", pick, config_to_dict(config))  # doctest: +SKIP
        {'index.top_k': ('2', '3')}
    """
    run_id = tracking.version_tags(uri, release_name(corpus), record.version).get("eval_run_id")
    evaluated = tracking.run_params(uri, run_id) if run_id else None
    if not evaluated:
        return {}
    return {key: (evaluated[key], here) for key in ANSWERING_SETTINGS
            if key in evaluated and key in settings and evaluated[key] != (here := tracking.param_value(settings[key]))}


def differences_note(record: ReleaseRecord, differences: Mapping[str, tuple[str, str]]) -> str:
    """One line saying that, and how, the server's settings differ from ``record``'s evaluation ('' if they do not)."""
    if not differences:
        return ""
    shown = "; ".join(f"{key} {there!r} there, {here!r} here" for key, (there, here) in differences.items())
    return (f"release v{record.version} was measured with other answering settings than this server's ({shown}): "
            "served answers may differ from the recorded ones; serve with the experiment file (or --set) it was "
            "measured with")


def _read_release(uri: str, corpus: str, record: ReleaseRecord, cache_dir: Path, read: Callable[[dict], Any]) -> Any:
    """``read`` applied to ``record``'s ``release.json`` (downloaded once); a broken file is one line saying what
    to do."""
    local = tracking.resolve_version(uri, release_name(corpus), record.version, cache_dir)
    path = local.path / RELEASE_FILE
    try:
        return read(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RagvsftError(f"{path}: not a readable release record ({exc}); delete {local.path} to download it "
                           "again") from None


def release_state(uri: str, corpus: str, record: ReleaseRecord, cache_dir: Path) -> CorpusState:
    """The corpus state ``record`` was built from."""
    return _read_release(uri, corpus, record, cache_dir, lambda body: CorpusState.from_json(body["state"]))


def release_examples(uri: str, corpus: str, record: ReleaseRecord, cache_dir: Path, *,
                     for_few_shot: bool) -> list[Example] | None:
    """The training split's (question, answer) pairs ``record`` was measured with: the few-shot pool, and the
    answers the answer limits are fitted to. None for a release registered before releases kept them (2026-11-29),
    an error saying what to do when they are needed ``for_few_shot``."""
    def read(body: dict) -> list[Example] | None:
        if "train_pairs" in body:
            return [(str(q), str(a)) for q, a in body["train_pairs"]]
        if for_few_shot:
            raise RagvsftError(f"release v{record.version} was registered before releases kept their training "
                               "questions, so a server cannot pick its few-shot examples; register a new release "
                               "(`ragvsft run`), or serve with --set prompt.few_shot=0")
        return None

    return _read_release(uri, corpus, record, cache_dir, read)


def sync_mirrors(uri: str, corpus: str) -> list[str]:
    """Point the index and adapter ``champion`` aliases at the champion release's pair; returns what it moved
    (empty when they already agree, or when there is no champion)."""
    champion = find_release(uri, corpus, CHAMPION)
    if champion is None:
        return []
    moved = []
    for kind, version in (("index", champion.index_version), ("adapter", champion.adapter_version)):
        name = tracking.registered_name(corpus, kind)  # type: ignore[arg-type]
        if version is not None and tracking.alias_version(uri, name, CHAMPION) != version:
            tracking.set_alias(uri, name, CHAMPION, version)
            moved.append(f"{kind} v{version}")
    return moved


def promote(uri: str, corpus: str, *, version: str | None = None,
            before_mirrors: Callable[[], None] | None = None) -> ReleaseRecord:
    """Make release ``version`` (default: the challenger) the champion: one alias write, then the mirrors.

    ``before_mirrors`` runs between the two (fault-injection tests kill the process there).
    """
    sync_mirrors(uri, corpus)
    name = release_name(corpus)
    if version is None:
        version = tracking.alias_version(uri, name, CHALLENGER)
        if version is None:
            raise RagvsftError(f"{name} has no challenger to promote; a complete `ragvsft run` registers one")
    record = _record(uri, corpus, version, CHAMPION)
    tracking.set_alias(uri, name, CHAMPION, version)  # the commit point
    if before_mirrors is not None:
        before_mirrors()
    sync_mirrors(uri, corpus)
    return record
