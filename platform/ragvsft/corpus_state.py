"""What a release was built from, and what changed since: per-document and per-question content hashes.

A :class:`CorpusState` is small JSON kept with every release (``release.json``);
``ragvsft retrain`` compares the corpus on disk with the champion's state to
decide what to rebuild: nothing, the index, the adapter, or both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from ragvsft.corpus import Corpus


def _sha(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class CorpusState:
    """Content hashes of a corpus' documents (extracted text, by id) and questions (every field, by id), plus the
    fingerprints of the settings that build the index and the adapter.

    Example:
        >>> a = CorpusState({"a.md": "1"}, {"q1": "x"}, index_settings="i", adapter_settings="f")
        >>> CorpusState.from_json(a.to_json()) == a
        True
    """

    documents: dict[str, str]
    questions: dict[str, str]
    train_ids: tuple[str, ...] = ()
    index_settings: str = ""  # fingerprint of what decides the index besides the documents
    adapter_settings: str = ""  # fingerprint of what decides the adapter besides the training questions

    @classmethod
    def of(cls, corpus: Corpus, *, index_settings: Any, adapter_settings: Any) -> CorpusState:
        """The state of ``corpus`` under the given settings (any JSON-able values; only their hash is kept)."""
        return cls(
            documents={d.id: _sha(d.text) for d in corpus.documents},
            # also_accept only where it holds answers (so states saved before it existed read the same questions)
            # and only for eval questions: a training question's other answers are never read.
            questions={q.id: _sha([q.question, q.answer, list(q.sources), q.split, list(q.tags)]
                                  + ([list(q.also_accept)] if q.also_accept and q.split == "eval" else []))
                       for q in corpus.qa},
            train_ids=tuple(q.id for q in corpus.split("train")),
            index_settings=_sha(index_settings), adapter_settings=_sha(adapter_settings))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorpusState:
        return cls(documents=dict(data["documents"]), questions=dict(data["questions"]),
                   train_ids=tuple(data.get("train_ids", ())), index_settings=data.get("index_settings", ""),
                   adapter_settings=data.get("adapter_settings", ""))


def _changes(old: dict[str, str], new: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(added, modified, removed) keys, each sorted."""
    return (tuple(sorted(new.keys() - old.keys())),
            tuple(sorted(k for k in new.keys() & old.keys() if new[k] != old[k])),
            tuple(sorted(old.keys() - new.keys())))


@dataclass(frozen=True)
class CorpusDiff:
    """Documents and questions added, modified and removed between two states, and whether the index or adapter
    settings changed.

    Example:
        >>> old = CorpusState({"a.md": "1", "b.md": "2"}, {"q1": "x"}, train_ids=("q1",))
        >>> new = CorpusState({"a.md": "1", "b.md": "3", "c.md": "4"}, {"q1": "x", "q2": "y"}, train_ids=("q1",))
        >>> d = diff_states(old, new)
        >>> d.docs_added, d.docs_modified, d.questions_added, d.empty
        (('c.md',), ('b.md',), ('q2',), False)
        >>> d.summary()
        'documents +1 ~1 -0; questions +1 ~0 -0'
    """

    docs_added: tuple[str, ...]
    docs_modified: tuple[str, ...]
    docs_removed: tuple[str, ...]
    questions_added: tuple[str, ...]
    questions_modified: tuple[str, ...]
    questions_removed: tuple[str, ...]
    train_changed: bool  # a training question was added, modified or removed
    index_settings_changed: bool
    adapter_settings_changed: bool

    @property
    def docs_changed(self) -> bool:
        return bool(self.docs_added or self.docs_modified or self.docs_removed)

    @property
    def empty(self) -> bool:
        return not (self.docs_changed or self.questions_added or self.questions_modified or self.questions_removed
                    or self.index_settings_changed or self.adapter_settings_changed)

    def summary(self) -> str:
        """One line: counts of documents and questions added (+), modified (~), removed (-), and settings."""
        parts = [f"documents +{len(self.docs_added)} ~{len(self.docs_modified)} -{len(self.docs_removed)}",
                 f"questions +{len(self.questions_added)} ~{len(self.questions_modified)} "
                 f"-{len(self.questions_removed)}"]
        parts += [f"{kind} settings changed" for kind, changed in
                  (("index", self.index_settings_changed), ("adapter", self.adapter_settings_changed)) if changed]
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"summary": self.summary()}


def diff_states(old: CorpusState, new: CorpusState) -> CorpusDiff:
    """What changed from ``old`` (the champion's) to ``new`` (the corpus now)."""
    docs = _changes(old.documents, new.documents)
    questions = _changes(old.questions, new.questions)
    train = set(old.train_ids) | set(new.train_ids)
    touched = {q for group in questions for q in group}
    return CorpusDiff(*docs, *questions, train_changed=bool(train & touched) or set(old.train_ids) != set(new.train_ids),
                      index_settings_changed=old.index_settings != new.index_settings,
                      adapter_settings_changed=old.adapter_settings != new.adapter_settings)
