"""Every error an experiment can know about up front, raised before any model loads (``run`` and ``sweep``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from ragvsft.arms import ARMS
from ragvsft.builders import build_arms, build_judge, needs_judge
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import Corpus, qa_where
from ragvsft.device import resolve_device
from ragvsft.embedders import PACKAGED_EMBEDDERS, resolve_model
from ragvsft.errors import RagvsftError
from ragvsft.finetune.tokenize import answer_ids
from ragvsft.language import ENGLISH_SHARE, ENOUGH_WORDS, english_word_share
from ragvsft.metrics.faithfulness import claim_words
from ragvsft.models import PACKAGED_LMS, check_lm_spec, load_tokenizer
from ragvsft.qa import QAPair, question_key
from ragvsft.wording import first_few


def preflight(config: ExperimentConfig, corpus: Corpus) -> list[str]:
    """Every error a run can know about up front, raised before any model loads (only the base model's tokenizer
    is read, to count the training answers); returns warnings to show (what the run will work around).

    ``ragvsft check`` runs exactly this, so what it passes, ``run`` does not refuse later.
    """
    qa_path = qa_where(config.corpus)
    if not corpus.split("eval"):
        raise RagvsftError(f"{qa_path}: the eval split is empty; mark some lines \"split\": \"eval\" "
                           "or raise eval_fraction")
    if adapter_arms(config) and not corpus.split("train"):
        raise RagvsftError(f"{qa_path}: no training questions, so there is nothing to fine-tune; mark some lines "
                           f"\"split\": \"train\" or drop the {'/'.join(adapter_arms(config))} arms")
    oracles = [a for a in config.evaluate.arms if ARMS[a].needs_sources]
    if oracles and not any(q.sources for q in corpus.split("eval")):
        raise RagvsftError(f"{qa_path}: the {'/'.join(oracles)} arms show each question's gold source passages, "
                           "and no eval question names its \"sources\"; add them or drop those arms")
    if config.prompt.few_shot and not corpus.split("train"):
        raise RagvsftError(f"{qa_path}: prompt.few_shot={config.prompt.few_shot} takes its examples from the "
                           "training questions, and there are none")
    check_lm_spec(config.model.base_model)
    resolve_model(config.index.embedder)
    resolve_device(config.model.device)
    resolve_device(config.index.device)
    judge = config.evaluate.judge
    if needs_judge(config.evaluate.metrics) and not judge.base_url and judge.model:
        check_lm_spec(judge.model)
    # Endpoint clients check their URL and where the key may travel when built (no request is made), so a
    # refused endpoint stops the run now, not after the fine-tune.
    build_arms([], config.evaluate.extra_arms, config.model, adapter_dir=None, environ=os.environ)
    if needs_judge(config.evaluate.metrics) and judge.base_url:
        build_judge(judge, config.model, environ=os.environ)
    labeller = config.synthesize.labeller
    if config.finetune.targets == "labeller" and adapter_arms(config):
        if not (labeller.model or labeller.base_url):
            raise RagvsftError("finetune.targets = \"labeller\" trains on a labeller model's answers, and "
                               "[synthesize.labeller] names none (it would be the base model itself): set its model "
                               "or base_url")
        if labeller.base_url:
            build_judge(labeller, config.model, environ=os.environ, label="the labeller")
        else:
            check_lm_spec(labeller.model)
    overlong = _overlong_answers(config, corpus) if adapter_arms(config) else []
    return english_models_for_another_language(config, corpus) + overlong


def english_models_for_another_language(config: ExperimentConfig, corpus: Corpus) -> list[str]:
    """A warning when the questions (or, with none, the documents) read as another language than English while
    the experiment uses a packaged model, all of which are English (:mod:`ragvsft.language`)."""
    used = [("index.embedder", config.index.embedder, PACKAGED_EMBEDDERS),
            ("model.base_model", config.model.base_model, PACKAGED_LMS)]
    english = [f"{setting} {name!r}" for setting, name, packaged in used if name in packaged]
    read = "questions" if corpus.qa else "documents"
    share, words = english_word_share([q.question for q in corpus.qa] or [d.text for d in corpus.documents])
    if not english or words < ENOUGH_WORDS or share >= ENGLISH_SHARE:
        return []
    return [f"the {read} do not read as English (only {share:.0%} of their {words} words are common English ones such "
            f"as 'the', 'of', 'is'; English prose has 25-50 %), and {' and '.join(english)} "
            f"{'is an English model' if len(english) == 1 else 'are English models'}: retrieval and answers will be "
            "poor; set index.embedder to a multilingual sentence-transformers model folder and model.base_model to "
            "a model that reads the language"]


def corpus_warnings(corpus: Corpus) -> list[str]:
    """What the corpus alone warns about, whatever the experiment's settings (so a sweep checks it once)."""
    return repeated_eval_questions(corpus) + answers_not_in_sources(corpus) + eval_questions_in_documents(corpus)


def repeated_eval_questions(corpus: Corpus) -> list[str]:
    """A warning naming eval questions written more than once (rows duplicated in an export): each copy counts as
    one more question, so its score weighs double and the intervals narrow as if the copies were independent."""
    first: dict[str, QAPair] = {}
    copies = [(pair, first.setdefault(question_key(pair.question), pair)) for pair in corpus.split("eval")]
    copies = [(pair, original) for pair, original in copies if pair is not original]
    if not copies:
        return []
    shown = first_few([f"{p.file}:{p.line} = {o.file.name}:{o.line}" + ("" if p.answer == o.answer else " with another answer")
                       for p, o in copies])
    return [f"{len(copies)} eval question(s) repeat an earlier one ({shown}): each copy counts as one more "
            "question, weighing its score double and narrowing every interval as if it were new; remove the copies"]


def eval_questions_in_documents(corpus: Corpus) -> list[str]:
    """A warning naming each document holding at least half the eval questions (two or more) word for word, a line
    each (or after a ``field:`` label, as a question file reads as a document): a copy of the question file left in
    docs/ (``qa.jsonl``, an export of the sheet) hands the retrieving arms every question with its gold answer, so
    their scores measure lookup and the verdict leans to retrieval without a word said."""
    asked = [pair.question for pair in corpus.split("eval")]
    questions = set(map(question_key, asked)) - {""}
    longest = max(map(len, asked), default=0) + 40  # room for a label and punctuation
    warnings = []
    for document in corpus.documents:
        lines = [line for line in document.text.split("\n") if len(line) <= longest]  # longer ones ask none
        found = questions & {question_key(part) for line in lines for part in (line, line.partition(": ")[2])}
        if len(found) >= max(2, len(questions) / 2):
            warnings.append(f"{document.id} holds {len(found)} of the {len(questions)} eval questions word for word: a "
                            "copy of the question file? The rag arms would retrieve each question with its gold "
                            "answer, so their scores would measure lookup; move it out of docs/ (if the questions "
                            "were copied from it, as from an FAQ, ask them in your users' words instead)")
    return warnings


ANSWER_IN_SOURCES = 0.5  # share of a gold answer's content words its sources must hold; paraphrases keep most


def answers_not_in_sources(corpus: Corpus) -> list[str]:
    """A warning naming the questions whose gold answer is mostly absent from the documents their ``sources``
    name: a source shifted by a line in a spreadsheet export, or an answer from elsewhere. hit@k and the
    closed-book arms' faithfulness take the sources as the truth, so they would measure against the wrong
    document without a word said. An answer the question also accepts, found there, will do ("twenty-seven days"
    where the gold answer says "27 days"). Each document's words are read once, however many questions name it."""
    texts = {d.id: d.text for d in corpus.documents}
    words = functools.cache(lambda doc_id: claim_words(texts[doc_id]))
    named, absent = 0, []
    for pair in corpus.qa:
        if pair.sources and (forms := [w for a in (pair.answer, *pair.also_accept) if (w := claim_words(a))]):
            named += 1
            found = set().union(*map(words, pair.sources))
            if all(len(form & found) < ANSWER_IN_SOURCES * len(form) for form in forms):
                absent.append(pair)
    if not absent:
        return []
    shown = first_few([f"{p.file}:{p.line} ({p.answer[:40]!r} in {', '.join(p.sources)})" for p in absent])
    return [f"{len(absent)} of {named} gold answers with sources are mostly not in those documents (under half "
            f"their words): {shown}; check their sources: retrieval's hit@k and the closed-book arms' "
            "faithfulness take them as the truth"]


@functools.lru_cache(maxsize=4)
def _tokenizer(base_model: str, cache_dir: Path) -> Any:
    """One tokenizer per base model, however many sweep points preflight checks (each load hashes the weights)."""
    return load_tokenizer(base_model, cache_dir=cache_dir)


def _overlong_answers(config: ExperimentConfig, corpus: Corpus) -> list[str]:
    """Training answers with no room left for a prompt in ``finetune.max_length``: fine-tuning leaves them out
    (a warning), and when that is all of them there is nothing to train (an error) — found now, not minutes into
    the fine-tune."""
    tokenizer = _tokenizer(config.model.base_model, config.model.cache_dir)
    train, limit = corpus.split("train"), config.finetune.max_length
    over = [q.id for q in train if len(answer_ids(tokenizer, q.answer)) >= limit]
    where = f"{qa_where(config.corpus)}: {len(over)} of {len(train)} training answers"
    if len(over) == len(train):
        raise RagvsftError(f"{where} are longer than finetune.max_length={limit} tokens, so nothing can be "
                           "fine-tuned; raise finetune.max_length")
    if over:
        return [f"{where} are longer than finetune.max_length={limit} tokens and will be left out of fine-tuning "
                f"(e.g. {', '.join(over[:3])}); raise finetune.max_length to train on them"]
    return []


def adapter_arms(config: ExperimentConfig) -> list[str]:
    """The configured arms that use the fine-tuned adapter; none, and nothing is fine-tuned."""
    return [a for a in config.evaluate.arms if ARMS[a].adapter]
