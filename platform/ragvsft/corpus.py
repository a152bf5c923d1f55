"""A corpus: ``docs/`` plus ``qa.jsonl``, loaded and cross-checked together."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ragvsft.documents import Document, DocumentSet, document_id, load_documents
from ragvsft.errors import CorpusError
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
            "skipped_files": [{"path": f.path, "reason": f.reason} for f in self.docs.skipped],
            "base64_chars_left_out": dict(self.docs.encoded),
        }


def corpus_name(root: Path) -> str:
    """A corpus' name (its folder's), which names its MLflow experiment and registered models; known without
    loading the corpus.

    Example:
        >>> corpus_name(Path("corpora/demo/"))
        'demo'
    """
    return Path(os.path.abspath(root)).name  # abspath, not resolve: "." has a name, a symlink keeps its own


QA_FILE, SYNTHETIC_QA_FILE = "qa.jsonl", "qa.synthetic.jsonl"
QA_SHEETS = ("qa.csv", "qa.xlsx")  # the questions kept in a spreadsheet, saved as CSV or as it is


def written_qa_file(root: Path) -> Path | None:
    """The question file people wrote: ``qa.jsonl``, ``qa.csv`` (a spreadsheet saved as CSV) or ``qa.xlsx``; None
    when there is none. Two is an error: which one is meant?"""
    written = [root / name for name in (QA_FILE, *QA_SHEETS) if (root / name).exists()]
    if len(written) > 1:
        raise CorpusError(written[1], f"{written[0].name} is there too: keep one file of written questions (move the "
                                      "other out of the corpus folder)")
    return written[0] if written else None


def qa_files(root: Path) -> list[Path]:
    """The question files of a corpus: the one people wrote (:func:`written_qa_file`) and ``qa.synthetic.jsonl``
    (written by ``ragvsft synthesize``), whichever exist, read as one set; ``qa.jsonl`` alone when neither does
    (its absence is then the error)."""
    written = written_qa_file(root)
    found = [written] if written else []
    found += [root / SYNTHETIC_QA_FILE] if (root / SYNTHETIC_QA_FILE).is_file() else []
    return found or [root / QA_FILE]


def qa_where(root: Path) -> str:
    """The question files, as messages name them: ``corpora/x/qa.jsonl``, or ``corpora/x/qa.jsonl +
    qa.synthetic.jsonl`` when both are read."""
    first, *more = qa_files(root)
    return " + ".join([str(first), *(p.name for p in more)])


def corpus_documents(root: Path) -> DocumentSet:
    """The documents of the corpus folder ``root`` (``root/docs``); a missing folder is a ``CorpusError`` saying
    where a relative path was looked for."""
    if not root.is_dir():  # the commonest slip: a relative `corpus` run from another folder than the author's
        problem = "is a file, not a corpus folder" if root.exists() else "corpus folder not found"
        if not root.is_absolute():
            problem += (f" (a relative path, read from the current directory {Path.cwd()}: run from the folder it "
                        "is relative to, or give an absolute one, `--set corpus=/path/to/corpus`)")
        raise CorpusError(root, f"{problem}; a corpus folder holds docs/ (and qa.jsonl)")
    return load_documents(root / "docs")


def skipped_ids(docs: DocumentSet, docs_dir: Path) -> dict[str, str]:
    """The id each skipped file would have had (its path relative to ``docs_dir``), with why it was skipped."""
    ids = {}
    for file in docs.skipped:
        path = Path(file.path)
        if path.is_relative_to(docs_dir):
            ids[document_id(path, docs_dir)] = file.reason
    return ids


def load_corpus(root: Path, *, seed: int = 0, eval_fraction: float = 0.3) -> Corpus:
    """Load ``root/docs`` and the question files (:func:`qa_files`); raises ``CorpusError`` naming the file and
    line at fault."""
    docs = corpus_documents(root)
    first, *more = qa_files(root)
    qa = load_qa(first, document_ids={d.id for d in docs.documents}, seed=seed, eval_fraction=eval_fraction,
                 more=more, skipped=skipped_ids(docs, root / "docs"))
    digest = hashlib.sha256(first.read_bytes())
    for extra in more:  # qa.jsonl alone keeps the digest it always had
        digest.update(b"\0" + extra.read_bytes())
    return Corpus(root=root, docs=docs, qa=qa, qa_sha256=digest.hexdigest())
