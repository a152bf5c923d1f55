"""A corpus: ``docs/`` plus ``qa.jsonl``, loaded and cross-checked together."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ragvsft.documents import Document, DocumentSet, load_documents
from ragvsft.qa import QAPair, Split, load_qa


@dataclass(frozen=True)
class Corpus:
    """Documents and questions of one corpus folder.

    Example:
        >>> corpus = load_corpus(Path("corpora/demo"))  # doctest: +SKIP
        >>> len(corpus.split("eval")) > 0  # doctest: +SKIP
        True
    """

    root: Path
    docs: DocumentSet
    qa: tuple[QAPair, ...]
    qa_sha256: str

    @property
    def name(self) -> str:
        return corpus_name(self.root)

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.docs.documents

    def split(self, split: Split) -> tuple[QAPair, ...]:
        return tuple(p for p in self.qa if p.split == split)

    def split_record(self) -> dict:
        """What went where and why; saved beside every run so a result can be traced to its questions."""
        return {
            "qa_sha256": self.qa_sha256,
            "docs_sha256": self.docs.sha256,
            "splits": {
                split: [p.id for p in self.qa if p.split == split] for split in ("train", "eval")
            },
            "seeded": [p.id for p in self.qa if not p.split_from_file],
        }


def corpus_name(root: Path) -> str:
    """A corpus' name (its folder's), which names its MLflow experiment and registered models; known without
    loading the corpus.

    Example:
        >>> corpus_name(Path("corpora/demo/"))
        'demo'
    """
    return Path(os.path.abspath(root)).name  # abspath, not resolve: "." has a name, a symlink keeps its own


def load_corpus(root: Path, *, seed: int = 0, eval_fraction: float = 0.3) -> Corpus:
    """Load ``root/docs`` and ``root/qa.jsonl``; raises ``CorpusError`` naming the file and line at fault."""
    docs = load_documents(root / "docs")
    qa_path = root / "qa.jsonl"
    qa = load_qa(qa_path, document_ids={d.id for d in docs.documents}, seed=seed, eval_fraction=eval_fraction)
    return Corpus(root=root, docs=docs, qa=qa, qa_sha256=hashlib.sha256(qa_path.read_bytes()).hexdigest())
