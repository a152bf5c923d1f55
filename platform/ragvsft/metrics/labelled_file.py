"""A team's own judged answers, read for ``ragvsft validate-metrics --labelled FILE.jsonl``.

One JSON object per line:

    {"question": "...", "evidence": "..." or ["...", ...], "answer": "...", "label": 1, "kind": "...", "id": "..."}

``label`` is 1 (the evidence supports the answer) or 0 (it does not); ``kind``
(optional) groups answers for the per-kind table, by default ``supported`` /
``unsupported``; ``id`` (optional, by default the question) groups the answers
to one question, which the bootstrap interval resamples together. Every problem
names the file and line.
"""

from __future__ import annotations

from pathlib import Path

from ragvsft.errors import InputError
from ragvsft.jsonfile import jsonl_objects
from ragvsft.metrics.labelled_set import LabelledAnswer
from ragvsft.textforms import normalize

_REQUIRED = ("question", "evidence", "answer", "label")
_FIELDS = frozenset({*_REQUIRED, "kind", "id"})


def read_labelled(path: Path) -> list[LabelledAnswer]:
    """The judged answers in ``path``; both labels must occur (AUROC compares them).

    Example:
        >>> import tempfile
        >>> judged = Path(tempfile.mkdtemp()) / "judged.jsonl"
        >>> _ = judged.write_text('{"question": "Limit?", "evidence": "Limit: 14 bar.", "answer": "14 bar", "label": 1}\\n'
        ...                       '{"question": "Limit?", "evidence": ["Limit: 14 bar."], "answer": "9 bar", "label": 2}\\n')
        >>> read_labelled(judged)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ragvsft.errors.InputError: .../judged.jsonl:2: 'label' must be 1 (supported) or 0 (not supported), got 2
    """
    if not path.is_file():
        raise InputError(path, "file not found; give a JSON Lines file of judged answers "
                               "(question, evidence, answer, label 1/0, optional kind and id per line)")
    answers = [_answer(obj, path, line) for line, obj in jsonl_objects(path)]
    if not answers:
        raise InputError(path, "no judged answers in it")
    labels = {a.supported for a in answers}
    if len(labels) < 2:
        which = "1 (supported)" if True in labels else "0 (not supported)"
        raise InputError(path, f"every answer has label {which}; AUROC needs answers of both labels")
    return answers


def _answer(obj: dict, path: Path, line: int) -> LabelledAnswer:
    def fail(message: str) -> InputError:
        return InputError(path, message, line=line)

    if unknown := sorted(set(obj) - _FIELDS):
        raise fail(f"unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}")
    if missing := [f for f in _REQUIRED if f not in obj]:
        raise fail(f"missing {', '.join(repr(f) for f in missing)}")
    label = obj["label"]
    # bool is an int in Python: true/false are accepted as 1/0, 1.0 or "1" are not.
    if type(label) not in (int, bool) or label not in (0, 1):
        raise fail(f"'label' must be 1 (supported) or 0 (not supported), got {label!r}")
    evidence = obj["evidence"]
    passages = [evidence] if isinstance(evidence, str) else evidence
    if not isinstance(passages, list) or not passages or not all(isinstance(p, str) and p.strip() for p in passages):
        raise fail(f"'evidence' must be a non-empty string or a list of them, got {evidence!r}")
    texts = {}
    for field in ("question", "answer", "kind", "id"):
        value = obj.get(field, "")
        blank_ok = field == "answer"  # an empty answer is one a model can give; an empty question, kind or id is not
        if not isinstance(value, str) or (not blank_ok and field in obj and not value.strip()):
            raise fail(f"'{field}' must be a {'' if blank_ok else 'non-empty '}string, got {value!r}")
        texts[field] = normalize(value)
    supported = bool(label)
    return LabelledAnswer(
        qa_id=texts["id"] or texts["question"], question=texts["question"], answer=texts["answer"], gold_answer="",
        evidence=tuple(normalize(p) for p in passages), kind=texts["kind"] or ("supported" if supported else "unsupported"),
        supported=supported)
