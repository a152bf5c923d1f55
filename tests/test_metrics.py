"""Every metric through the same table of cases: perfect, empty, unsupported, paraphrase, numbers, unicode.

Lexical metrics are checked to exact values; embedding metrics run the real
packaged MiniLM and are checked by ranges and order (cosines of a real model
are not round numbers); the LLM judge runs with a rule-following test judge,
so prompts, parsing and arithmetic are checked exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragvsft.generators import Generation
from ragvsft.metrics import (
    JUDGE_FREE,
    METRICS,
    AnswerRecall,
    AnswerRelevance,
    ClaimSupport,
    ContextPrecisionAtK,
    ContextRecallAtK,
    ContextRelevance,
    ExactMatch,
    JudgeFaithfulness,
    ReverseQuestionRelevance,
    Sample,
    SemanticSimilarity,
    TokenF1,
    TokenSupport,
    build_metrics,
)
from ragvsft.metrics.judge import focus_evidence, parse_claims, parse_verdict
from ragvsft.metrics.number_words import number_in_words
from ragvsft.metrics.text import content_tokens, normalize_answer, split_sentences, stem

EVIDENCE = ("The X-200 pump's maximum pressure is 14 bar.\nRequests go to Zoë Ångström in room B-12.\n"
            "The X-300 pump's maximum pressure is 20 bar.",)
Q = "What is the X-200's maximum pressure?"
WHO = "Who takes requests?"
ZH_EVIDENCE = ("员工每年享有27天带薪年假。病假另行计算！\n申请交给人力资源部。",)  # leave: 27 days; sick leave apart
ZH_Q = "员工每年有多少天年假？"  # how many days of annual leave?
MOTOR = ("The X-200 motor draws 3.5 kW at 1,450 rpm.",)
APPROVAL, APPROVAL_TIME = "How long does approval take?", ("Approval takes 10–20 days.",)
TH_EVIDENCE = ("พนักงานมีวันลาพักร้อน 27 วันต่อปี\nลาป่วยคิดแยกต่างหาก",)  # 27 days' vacation a year; sick leave apart
TH_Q = "พนักงานมีวันลาพักร้อนกี่วัน"  # how many days of vacation do employees have?
HI_EVIDENCE = ("कर्मचारियों को हर साल 27 दिन की छुट्टी मिलती है। बीमारी की छुट्टी 12 दिन है।",)  # 27 days; sick leave 12
AR_EVIDENCE = ("يحصل الموظفون على 27 يوما من الإجازة السنوية.",)  # employees get 27 days of annual leave
KO_EVIDENCE = ("직원은 매년 27일의 유급 휴가를 받습니다. 병가는 별도입니다.",)  # 27 days' paid leave a year; sick leave apart
KO_Q = "직원은 휴가를 며칠 받습니까?"  # how many days of leave do employees get?
POWER = "How much power does the X-200 motor draw?"
BOOKING = ("Flights must be booked at least fourteen days before departure.\nHotels are booked through Tripdesk.",)
BOOKING_Q = "How early must flights be booked?"
APPROVER = ("Nobody may approve their own expense claim; their manager approves it.",)
HOTEL, HOTEL_Q = ("Hotels are paid up to €190 per night.\nMeals: up to €38 a day.",), "How much may a hotel cost?"
CLAIMS_BY, CLAIMS_DATE = "By when must claims reach Finance?", ("Claims must reach Finance by 30 June.\nLate ones wait.",)

CASES = {
    "perfect": Sample(Q, "14 bar", "14 bar", EVIDENCE),
    "perfect-with-article-and-punctuation": Sample(Q, "The 14 bar.", "14 bar", EVIDENCE),
    "empty": Sample(Q, "", "14 bar", EVIDENCE),
    "unsupported": Sample(Q, "30 psi", "14 bar", EVIDENCE),
    "paraphrase": Sample(Q, "It is 14 bar", "14 bar", EVIDENCE),
    "number-not-in-evidence": Sample(Q, "15 bar", "14 bar", EVIDENCE),
    "number-from-the-wrong-line": Sample(Q, "The X-200 pump's maximum pressure is 20 bar.", "14 bar", EVIDENCE),
    "two-claims-from-two-lines": Sample(Q, "14 bar. Requests go to Zoë Ångström.", "14 bar", EVIDENCE),
    "unicode": Sample(WHO, "zoë ångström", "Zoë Ångström", EVIDENCE),
    "half-invented": Sample(WHO, "Zoë Ångström Pettersen", "Zoë Ångström", EVIDENCE),
    "restated-wrong-figure": Sample(Q, "The X-200 pump's maximum pressure is 15 bar.", "14 bar", EVIDENCE),
    "yes-to-a-yes-no-question": Sample("Does Zoë Ångström take requests?", "Yes.", "yes", EVIDENCE),
    # Chinese writes no spaces: every character is a token, and 。！？ end sentences.
    "chinese-exact": Sample(ZH_Q, "27天。", "27天", ZH_EVIDENCE),
    "chinese-sentence": Sample(ZH_Q, "员工每年有27天年假。", "27天", ZH_EVIDENCE),
    "chinese-wrong-number": Sample(ZH_Q, "30天", "27天", ZH_EVIDENCE),
    "other-scripts-punctuation": Sample(Q, "«14 bar»", "14 bar", EVIDENCE),
    "decimal": Sample(POWER, "3.5 kW.", "3.5 kW", MOTOR),
    "decimal-point-moved": Sample(POWER, "35 kW", "3.5 kW", MOTOR),
    "decimal-comma": Sample(POWER, "3,5 kW", "3.5 kW", MOTOR),
    "thousands-separator-left-out": Sample("How fast does the X-200 motor turn?", "1450 rpm", "1,450 rpm", MOTOR),
    "sign-dropped": Sample("What is the lowest storage temperature?", "5 °C", "−5 °C", ("Store at no less than -5 °C.",)),
    "unit-written-onto-its-number": Sample(POWER, "3.5kW", "3.5 kW", MOTOR),
    "range-in-words": Sample(APPROVAL, "10 to 20 days", "10-20 days", APPROVAL_TIME),
    "range-read-as-one-number": Sample(APPROVAL, "1020 days", "10-20 days", APPROVAL_TIME),
    # Numbers written in words are the digits they write; a lone "one" stays a word (a pronoun as often).
    "number-in-words-in-the-evidence": Sample(BOOKING_Q, "14 days", "14 days", BOOKING),
    "number-in-words-in-the-answer": Sample(BOOKING_Q, "Fourteen days.", "14 days", BOOKING),
    "number-in-words-wrong": Sample(BOOKING_Q, "Twenty-one days.", "14 days", BOOKING),
    "lone-one-stays-a-word": Sample("Who approves an expense claim?", "Their manager, no one else.", "their manager",
                                    APPROVER),
    # Dates are day, month, year however written; a wrong day stays wrong.
    "date-with-ordinal": Sample(CLAIMS_BY, "June 30th.", "30 June", CLAIMS_DATE),
    "date-wrong-day": Sample(CLAIMS_BY, "June 20th.", "30 June", CLAIMS_DATE),
    "date-in-iso-form": Sample("When does the policy take effect?", "1 March 2026", "1 March 2026",
                               ("Policy: Travel\nEffective: 2026-03-01\nOwner: Finance",)),
    # Money is amount and sign, whether the currency was a sign, a code or a word; "percent" is the percent sign.
    "amount-with-currency-in-words": Sample(HOTEL_Q, "190 euros per night", "€190 per night", HOTEL),
    "amount-wrong": Sample(HOTEL_Q, "EUR 180 per night", "€190 per night", HOTEL),
    "percent-in-words": Sample("What is the rate?", "6 percent", "6 %", ("The rate is 6%.",)),
    # Thai writes no spaces between words either: each letter with its marks is a token (ที่ one, not three).
    "thai-sentence": Sample(TH_Q, "พนักงานมีวันลาพักร้อน 27 วัน", "27 วัน", TH_EVIDENCE),
    "thai-wrong-number": Sample(TH_Q, "30 วัน", "27 วัน", TH_EVIDENCE),
    "thai-digits": Sample(TH_Q, "๒๗ วัน", "27 วัน", TH_EVIDENCE),
    "arabic-indic-digits": Sample("كم يوما من الإجازة السنوية يحصل الموظفون؟", "٢٧ يوما", "27 يوما", AR_EVIDENCE),
    # Korean writes particles and endings onto words: "27일입니다" is "it is 27 days".
    "korean-sentence": Sample(KO_Q, "휴가는 27일입니다.", "27일", KO_EVIDENCE),
    "korean-wrong-number": Sample(KO_Q, "30일입니다.", "27일", KO_EVIDENCE),
    # Hindi ends sentences with the danda (।): the sick-leave question answered with the leave figure.
    "hindi-number-from-the-other-sentence": Sample("बीमारी की छुट्टी कितने दिन की है?", "बीमारी की छुट्टी 27 दिन है।",
                                                   "12 दिन", HI_EVIDENCE),
}
LEXICAL = {
    #                                         EM   F1    recall claim  token
    "perfect":                              (1.0, 1.0,   1.0,   1.0,   1.0),
    "perfect-with-article-and-punctuation": (1.0, 1.0,   1.0,   1.0,   1.0),
    "empty":                                (0.0, 0.0,   0.0,   None,  None),
    "unsupported":                          (0.0, 0.0,   0.0,   0.0,   0.0),
    "paraphrase":                           (0.0, 2 / 3, 1.0,   1.0,   1.0),
    # A wrong figure: the one word that matters is unsupported, so the claim is (bag of words: half of it is).
    "number-not-in-evidence":               (0.0, 0.5,   0.5,   0.0,   0.5),
    # Every word is somewhere in the evidence (token support 1.0), but no one line says "X-200 ... 20 bar": what
    # the answer adds (pump, 20, bar) is on the X-300 line, which shares 2 of the best line's 3 question words.
    # A known weakness: only that anchor (x 0.8 + 0.2 x 2/3) tells it from the right line.
    "number-from-the-wrong-line":           (0.0, 2 / 9, 0.5,   0.8 + 0.2 * 2 / 3, 1.0),
    # Both claims are supported; the second, about something the question did not ask, by a line that shares none
    # of the question's words (x 0.8), weighted 4 added words to the first's 2.
    "two-claims-from-two-lines":            (0.0, 4 / 9, 1.0,   (2 + 4 * 0.8) / 6, 1.0),
    "unicode":                              (1.0, 1.0,   1.0,   1.0,   1.0),
    # One of three words invented, and it is one of the two names the answer gives.
    "half-invented":                        (0.0, 0.8,   1.0,   1 / 3, 2 / 3),
    # The question's own words prove nothing: what the answer adds (15) is not in the evidence.
    "restated-wrong-figure":                (0.0, 2 / 9, 0.5,   0.0,   5 / 6),
    # "Yes" asserts the question: 3 of its 4 words ("take" is not) are in one line.
    "yes-to-a-yes-no-question":             (1.0, 1.0,   1.0,   0.75,  None),
    "chinese-exact":                        (1.0, 1.0,   1.0,   1.0,   1.0),
    # 9 characters, 2 of them the gold's: what the sentence adds to the question (27) is on the first line.
    "chinese-sentence":                     (0.0, 4 / 11, 1.0,  1.0,   1.0),
    "chinese-wrong-number":                 (0.0, 0.5,   0.5,   0.0,   0.5),
    "other-scripts-punctuation":            (1.0, 1.0,   1.0,   1.0,   1.0),
    "decimal":                              (1.0, 1.0,   1.0,   1.0,   1.0),
    # A figure ten times too large: dropped as punctuation, the point made "35" of "3.5", exact and supported.
    "decimal-point-moved":                  (0.0, 0.5,   0.5,   0.0,   0.5),
    "decimal-comma":                        (1.0, 1.0,   1.0,   1.0,   1.0),
    "thousands-separator-left-out":         (1.0, 1.0,   1.0,   1.0,   1.0),
    # "-5" in the evidence, "−5" (the minus sign) in the gold answer: one number, and "5" is not it.
    "sign-dropped":                         (0.0, 0.5,   0.5,   0.0,   0.5),
    # "3.5kW" was one word, shared with neither the gold answer nor the evidence: 0 everywhere.
    "unit-written-onto-its-number":         (1.0, 1.0,   1.0,   1.0,   1.0),
    # A range is two numbers: "10-20" was read as "1020" (so "1020 days" scored exact, faithful where the evidence
    # says "10–20", and "10 to 20 days" shared one word with it).
    "range-in-words":                       (0.0, 6 / 7, 1.0,   1.0,   1.0),
    "range-read-as-one-number":             (0.0, 0.4,   1 / 3, 0.0,   0.5),
    # The evidence's "fourteen" did not support the answer's 14 (faithfulness 0: a figure not in the evidence), nor
    # did "Fourteen days." equal "14 days" (EM 0, F1 0.5); "Twenty-one", a wrong figure, was a word, half supported.
    "number-in-words-in-the-evidence":      (1.0, 1.0,   1.0,   1.0,   1.0),
    "number-in-words-in-the-answer":        (1.0, 1.0,   1.0,   1.0,   1.0),
    "number-in-words-wrong":                (0.0, 0.5,   0.5,   0.0,   0.5),
    # "one" is not a figure the evidence must hold: what the answer adds (manager, one, else) is 1/3 supported.
    "lone-one-stays-a-word":                (0.0, 4 / 7, 1.0,   1 / 3, 1 / 3),
    # "30th" was another word than "30" (EM 0, F1 0.5, faithfulness 0), and "2026-03-01" one word sharing nothing
    # with "1 March 2026" (faithfulness 0; 0.8 now, the anchor: "Policy: Travel" shares "policy" with the question).
    "date-with-ordinal":                    (1.0, 1.0,   1.0,   1.0,   1.0),
    "date-wrong-day":                       (0.0, 0.5,   0.5,   0.0,   0.5),
    "date-in-iso-form":                     (1.0, 1.0,   1.0,   0.8,   1.0),
    # "€190" was one word: the right answer in words shared "per night" with the gold (F1 0.57) and its 190 was
    # nowhere in the evidence (faithfulness 0); "percent" was a word the evidence's "6%" lacks (0.5).
    "amount-with-currency-in-words":        (1.0, 1.0,   1.0,   1.0,   1.0),
    "amount-wrong":                         (0.0, 2 / 3, 2 / 3, 0.0,   0.5),
    "percent-in-words":                     (1.0, 1.0,   1.0,   1.0,   1.0),
    # 19 tokens, 3 of them the gold's (27 and the two of วัน). Read as 3 words (the first 21 characters one), the
    # sentence scored F1 0.8 and faithfulness 2/3 (its "วัน" unsupported: the evidence glues it to "ต่อปี").
    "thai-sentence":                        (0.0, 3 / 11, 1.0,  1.0,   1.0),
    "thai-wrong-number":                    (0.0, 2 / 3, 2 / 3, 0.0,   2 / 3),
    # Thai digits, Arabic-Indic digits: the same number as 27 (they scored as another word).
    "thai-digits":                          (1.0, 1.0,   1.0,   1.0,   1.0),
    "arabic-indic-digits":                  (1.0, 1.0,   1.0,   1.0,   1.0),
    # Read as words, the right answer shared none with "27일" (the evidence's "27일의" none with either): 0 on
    # every metric. As syllables: 8 tokens, 2 the gold's; what it adds (는 27 일 입 다) 3/5 in the evidence
    # (its particles differ).
    "korean-sentence":                      (0.0, 0.4,   1.0,   0.6,   1.0),
    "korean-wrong-number":                  (0.0, 2 / 7, 0.5,   0.0,   0.8),
    # 27 is in the first sentence, sick leave in the second: the claim is held to the first, whose match with
    # the question (4 of the second's 5 words) anchors it at 0.8 + 0.2 x 4/5, as in "number-from-the-wrong-line"
    # (read as one sentence, the paragraph supported it fully).
    "hindi-number-from-the-other-sentence": (0.0, 0.25,  0.5,   0.8 + 0.2 * 4 / 5, 1.0),
}
LEXICAL_METRICS = [ExactMatch(), TokenF1(), AnswerRecall(), ClaimSupport(), TokenSupport()]


@pytest.mark.parametrize("case", list(LEXICAL))
def test_lexical_metrics_table(case: str) -> None:
    got = [m.score([CASES[case]])[0] for m in LEXICAL_METRICS]
    want = [None if v is None else pytest.approx(v) for v in LEXICAL[case]]
    assert got == want, dict(zip([m.name for m in LEXICAL_METRICS], got))


def test_other_accepted_answers_count_as_the_gold_answer_does() -> None:
    # Scored against the best of the gold answer and also_accept, as SQuAD scores against its reference answers.
    accepting = Sample(Q, "1.4 MPa.", "14 bar", EVIDENCE, also_accept=("203 psi", "1.4 MPa"))
    partly = Sample(Q, "It is 1.4 MPa", "14 bar", EVIDENCE, also_accept=("203 psi", "1.4 MPa"))
    wrong = Sample(Q, "20 bar", "14 bar", EVIDENCE, also_accept=("1.4 MPa",))
    scores = [[m.score([s])[0] for m in (ExactMatch(), TokenF1(), AnswerRecall())] for s in (accepting, partly, wrong)]
    assert scores == [[1.0, 1.0, 1.0], [0.0, pytest.approx(2 / 3), 1.0], [0.0, 0.5, 0.5]]
    # A gold answer of punctuation only gives no recall to score; an accepted answer does.
    assert AnswerRecall().score([Sample(Q, "14 bar", "?", also_accept=("14 bar",)), Sample(Q, "14 bar", "?")]) == [
        1.0, None]


def test_faithfulness_needs_evidence() -> None:
    for metric in (ClaimSupport(), TokenSupport()):
        assert metric.score([Sample("q", "14 bar", "14 bar")]) == [None]
    # A bare "yes" to a question of stopwords only asserts nothing checkable.
    assert ClaimSupport().score([Sample("Is it?", "Yes.", "yes", EVIDENCE)]) == [None]


def test_text_helpers() -> None:
    assert normalize_answer("  The   Tripdesk, portal!  ") == "tripdesk portal"
    assert normalize_answer("ＡＢＣ") == "abc"  # NFKC folds full-width letters
    assert content_tokens("It is the 14 bar") == ["14", "bar"]
    assert stem("requests") == stem("requested") == "request"
    assert normalize_answer("«X‑200», ¿cuántos?") == "x200 cuántos"  # a non-breaking hyphen, Spanish marks
    assert normalize_answer("有27天") == "有 27 天"
    assert normalize_answer("12V, 100mm, 2.4GHz, 500mAh, -5°C") == "12 v 100 mm 2.4 ghz 500 mah -5 °c"
    # Ranges are two numbers (a decimal comma's too); codes whose groups are numbers stay one word.
    assert normalize_answer("4–20 mA, (3,5-4,5 bar), 10-20.") == "4 20 ma 3.5 4.5 bar 10 20"
    assert normalize_answer("BVW-2024-100, 10-20-30, MAN-HX58-04") == "bvw2024100 102030 manhx5804"
    # English dates: day, month, year, whichever way they were written; numeric ones that could be misread stay.
    same_date = ["1 March 2026", "March 1st, 2026", "the 1st of March 2026", "Mar. 1 2026", "2026-03-01"]
    assert {normalize_answer(d) for d in same_date} == {"1 march 2026"}
    assert normalize_answer("June 30th, 01/03/2026, May 2026, 2nd floor") == "30 june 01032026 may 2026 2nd floor"
    assert normalize_answer("June ๓๐") == "30 june"  # digits of every script are read before dates
    # Money: one word, sign first (the dollar sign kept: "$5" is not "€5"); percent words are the dropped "%".
    assert {normalize_answer(a) for a in ("€2,500", "2,500 euros", "EUR 2500", "2500€", "€ 2500")} == {"€2500"}
    assert [normalize_answer(a) for a in ("$5.50", "5.50 dollars", "US$5", "6 per cent", "10-20 €")] == [
        "$5.50", "$5.50", "us$5", "6", "10 20 €"]
    assert normalize_answer("Room 5a on the 2nd floor, 3x a week in the 1990s") == "room 5a on 2nd floor 3x week in 1990s"
    # English numbers in words: composed where they compose, "and" only inside one ("two and three" are two); a
    # lone "one" stays a word.
    assert normalize_answer("Within thirty (30) days: Two Hundred and Five, two and three, twenty-four-hour") == (
        "within 30 30 days 205 2 and 3 24hour")
    assert normalize_answer("No one, the one, one hundred, twenty-one, often, someone, 1.5 million") == (
        "no one one 100 21 often someone 1.5 million")
    assert normalize_answer("Within one hour, or one working day") == "within 1 hour or 1 working day"  # a unit of time


@settings(max_examples=300, deadline=None)
@given(n=st.integers(2, 999_999), cased=st.sampled_from([str.lower, str.title, str.upper]))
def test_every_number_written_in_words_reads_as_its_digits(n: int, cased) -> None:
    assert normalize_answer(f"{cased(number_in_words(n))} days") == f"{n} days"
    # The Arabic decimal and thousands separators; the Tibetan tsheg and the Ethiopic wordspace part words.
    assert normalize_answer("٣٫٥ كيلوواط، ١٬٤٥٠ دورة") == "3.5 كيلوواط 1450 دورة"
    assert normalize_answer("ཁྱེད་རང་། ሰላም፡ልጆች።") == "ཁྱེད རང ሰላም ልጆች"
    assert split_sentences("ما المدة؟ ٢٧ يوما. ثم") == ["ما المدة؟", "٢٧ يوما.", "ثم"]
    assert split_sentences("ខ្ញុំទៅផ្សារ។ល្អ") == ["ខ្ញុំទៅផ្សារ។", "ល្អ"]  # Khmer: no space after its full stop


# --- retrieval metrics: which chunks came back, from which documents -------------------------------------------

DOC_CASES = {
    #                 retrieved doc ids (one per chunk)            sources              recall precision
    "perfect":        (("pump.md", "pump.md"),                      ("pump.md",),        1.0,   1.0),
    "empty":          ((),                                          ("pump.md",),        None,  None),  # closed book
    "unsupported":    (("hr.md", "travel.md"),                      ("pump.md",),        0.0,   0.0),
    "one-of-three":   (("hr.md", "pump.md", "travel.md"),           ("pump.md",),        1.0,   1 / 3),
    "multi-source":   (("hr.md", "pump.md"),                        ("pump.md", "hr.md"), 1.0,  1.0),
    "unicode-ids":    (("politiques/congé.md", "x.md"),             ("politiques/congé.md",), 1.0, 0.5),
    "no-gold-source": (("pump.md",),                                (),                  None,  None),
}


@pytest.mark.parametrize("case", list(DOC_CASES))
def test_context_recall_and_precision_table(case: str) -> None:
    doc_ids, sources, recall, precision = DOC_CASES[case]
    sample = Sample("q", "a", "a", retrieved_doc_ids=doc_ids, sources=sources)
    assert ContextRecallAtK().score([sample]) == [recall]
    assert ContextPrecisionAtK().score([sample]) == [None if precision is None else pytest.approx(precision)]


# --- embedding metrics, with the real packaged MiniLM ------------------------------------------------------------

@pytest.fixture(scope="module")
def minilm():
    from ragvsft.embedders import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


SEMANTIC = {
    # case: (answer, gold, low, high)
    "perfect": ("14 bar", "14 bar", 0.99, 1.0),
    "empty": ("", "14 bar", 0.0, 0.0),
    "unsupported": ("Economy class on short flights", "14 bar", 0.0, 0.3),
    "paraphrase": ("The pump tops out at fourteen bar", "14 bar", 0.45, 0.95),
    "numbers": ("15 bar", "14 bar", 0.5, 0.99),
    "unicode": ("zoë ångström", "Zoë Ångström", 0.95, 1.0),
}


@pytest.mark.parametrize("case", list(SEMANTIC))
def test_semantic_similarity_table(minilm, case: str) -> None:
    answer, gold, low, high = SEMANTIC[case]
    value = SemanticSimilarity(minilm).score([Sample("q", answer, gold)])[0]
    assert low <= value <= high


def test_semantic_similarity_takes_the_closest_accepted_answer(minilm) -> None:
    alone, accepting = SemanticSimilarity(minilm).score([
        Sample("q", "Economy class", "14 bar"), Sample("q", "Economy class", "14 bar", also_accept=("Economy class",))])
    assert alone < 0.5 and accepting == pytest.approx(1.0, abs=1e-5)


def test_semantic_similarity_orders_paraphrase_above_unrelated(minilm) -> None:
    paraphrase, unrelated = SemanticSimilarity(minilm).score([
        Sample("q", "The pump tops out at fourteen bar", "14 bar"), Sample("q", "Economy class on short flights", "14 bar")])
    assert paraphrase > unrelated + 0.2


RELEVANCE = {
    # case: (question, answer, low, high)
    "perfect": ("How long is parental leave?", "Parental leave is 22 weeks long.", 0.6, 1.0),
    "empty": ("How long is parental leave?", "", 0.0, 0.0),
    "unsupported": ("How long is parental leave?", "The canteen serves pizza on Fridays.", 0.0, 0.4),
    "paraphrase": ("How long is parental leave?", "New parents get twenty-two weeks off.", 0.35, 1.0),
    "numbers": ("What is the maximum pressure of the X-200?", "The X-200 handles up to 14 bar.", 0.4, 1.0),
    "unicode": ("Who is Zoë Ångström?", "Zoë Ångström handles requests.", 0.4, 1.0),
}


@pytest.mark.parametrize("case", list(RELEVANCE))
def test_answer_relevance_table(minilm, case: str) -> None:
    question, answer, low, high = RELEVANCE[case]
    assert low <= AnswerRelevance(minilm).score([Sample(question, answer, "x")])[0] <= high


def test_answer_relevance_is_fair_to_short_answers_and_not_to_echoes(minilm) -> None:
    q = "How long is parental leave?"
    short, restated, echo, off_topic, no_number, yes, in_words = AnswerRelevance(minilm).score([
        Sample(q, "22 weeks", "x"), Sample(q, "Parental leave is 22 weeks long.", "x"), Sample(q, "Parental leave is long.", "x"),
        Sample(q, "The canteen serves pizza on Fridays.", "x"), Sample(q, "It depends on the team.", "x"),
        Sample("Is parental leave paid?", "Yes.", "x"), Sample(q, "Fourteen weeks.", "x")])
    assert abs(short - restated) < 0.1 and short > 0.8  # the plain cosine scored "22 weeks" far below
    assert echo == 0.0  # says nothing the question did not
    assert off_topic < no_number < short  # no number for a how-long question: halved
    assert yes > 0.8  # a bare verdict answers a yes/no question
    assert in_words > 0.8  # a number in words is a number (fourteen, sixty: halved before)


@pytest.mark.parametrize("case", list(RELEVANCE))
def test_context_relevance_table(minilm, case: str) -> None:
    # The same pairs, with the "answer" as the one retrieved passage; closed book (no retrieval) gives None.
    question, passage, low, high = RELEVANCE[case]
    retrieved = Sample(question, "a", "a", evidence=(passage,) if passage else (), retrieved_doc_ids=("d.md",))
    closed_book = Sample(question, "a", "a", evidence=(passage or "x",))
    got = ContextRelevance(minilm).score([retrieved, closed_book])
    assert got[1] is None
    assert got[0] is None if not passage else low <= got[0] <= high


def test_context_relevance_averages_over_passages(minilm) -> None:
    q = "How long is parental leave?"
    one, two = ContextRelevance(minilm).score([
        Sample(q, "a", "a", evidence=("Parental leave is 22 weeks.",), retrieved_doc_ids=("a",)),
        Sample(q, "a", "a", evidence=("Parental leave is 22 weeks.", "Pizza on Fridays."), retrieved_doc_ids=("a", "b")),
    ])
    assert two < one


def test_metrics_of_one_evaluation_embed_each_text_once_and_score_as_before(minilm) -> None:
    from ragvsft.embedders import MemoEmbedder
    from ragvsft.metrics import build_metrics

    q = "How long is parental leave?"
    passages = ("Parental leave is 22 weeks.", "Pizza on Fridays.", "Leave requests go to Ines Marlow.")
    arm = [Sample(q, answer, "22 weeks", evidence=passages, retrieved_doc_ids=("a", "b", "c"))
           for answer in ("22 weeks", "It is 22 weeks.")]
    names = ["semantic_similarity", "answer_relevance", "context_relevance"]
    plain = [ContextRelevance(minilm).score(arm), AnswerRelevance(minilm).score(arm)]
    counting = MemoEmbedder(minilm, max_texts=0)  # remembers nothing itself: counts the texts the model embeds
    metrics = build_metrics(names, embedder=counting)
    for _ in range(2):  # two arms with the same questions and passages
        scored = {m.name: m.score(arm) for m in metrics}
    assert scored["context_relevance"] == pytest.approx(plain[0], abs=1e-5)
    assert scored["answer_relevance"] == pytest.approx(plain[1], abs=1e-5)
    # The question, 3 passages, "22 weeks" (an answer and the gold answer), "It is 22 weeks.", and the question
    # followed by each answer (answer relevance): 8 distinct texts, each embedded once over both arms.
    assert counting.embedded == 8
    # Bounded: past max_texts the oldest vectors are forgotten, and answers stay right.
    small = MemoEmbedder(minilm, max_texts=2)
    assert small.embed(["a", "b", "c", "a"]).shape == (4, minilm.dim) and len(small._vectors) == 2
    assert np.allclose(small.embed(["c"]), minilm.embed(["c"]), atol=1e-6)


# --- LLM-judge metrics, with a judge that follows rules instead of a model ----------------------------------------

class RuleJudge:
    """A test judge: claims = the answer's comma-separated parts; "yes" iff every content word of a claim is in the
    context. ``mode="garbage"`` answers nonsense, to exercise parse failures. Records the prompts it got."""

    identity = "rule-judge"

    def __init__(self, mode: str = "rules") -> None:
        self.mode = mode
        self.prompts: list[str] = []

    def generate(self, conversations: Sequence[list[dict[str, str]]], *, max_new_tokens: int, stop: Sequence[str] = ()):
        out = []
        for conversation in conversations:
            prompt = conversation[-1]["content"]
            self.prompts.append(prompt)
            out.append(Generation(self._reply(prompt), 10, 5, 1.0))
        return out

    def _reply(self, prompt: str) -> str:
        if self.mode == "garbage":
            return "I think so."
        if prompt.startswith("Split the answer"):
            answer = prompt.split("Answer: ", 1)[1]
            return "\n".join(f"- {part.strip()}" for part in re.split(r"[,.]", answer) if part.strip())
        if prompt.startswith("Here is an answer"):
            return "What is the maximum pressure?" if "bar" in prompt else "What is for lunch?"
        context = set(content_tokens(prompt.split("\n\nQuestion:")[0]))
        claim = re.search(r"^Statement: (.+)$", prompt, re.MULTILINE).group(1)
        return "Yes, it does." if set(content_tokens(claim)) <= context else "No."


JUDGE_CASES = {
    "perfect": 1.0, "perfect-with-article-and-punctuation": 1.0, "empty": None, "unsupported": 0.0,
    "paraphrase": 1.0, "number-not-in-evidence": 0.0, "two-claims-from-two-lines": 1.0, "unicode": 1.0,
    "half-invented": 0.0,
}


@pytest.mark.parametrize("case", list(JUDGE_CASES))
def test_judge_faithfulness_table(case: str) -> None:
    metric = JudgeFaithfulness(RuleJudge())
    assert metric.score([CASES[case]]) == [JUDGE_CASES[case]]
    assert metric.parse_failures == 0


def test_judge_splits_long_answers_into_claims_and_scores_the_share_supported() -> None:
    judge = RuleJudge()
    answer = "The X-200 pump's maximum pressure is 14 bar. Requests go to Zoë Ångström, who works in room Q-99."
    assert JudgeFaithfulness(judge).score([Sample(Q, answer, "14 bar", EVIDENCE)]) == [pytest.approx(2 / 3)]
    assert judge.prompts[0].startswith("Split the answer")  # two sentences: decomposed first
    assert "Statement: who works in room Q-99\n" in judge.prompts[3]  # then one verdict per claim


def test_judge_parse_failures_are_counted_not_dropped() -> None:
    metric = JudgeFaithfulness(RuleJudge("garbage"))
    samples = [CASES["perfect"], CASES["empty"], CASES["two-claims-from-two-lines"]]
    assert metric.score(samples) == [None, None, None]
    # The empty answer is "not applicable", not a failure; the other two replies could not be read.
    assert metric.parse_failures == 2


def test_judge_parsers() -> None:
    assert parse_claims("Here:\n- a b\n* c\n3. d\nnot a claim") == ["a b", "c", "d"]
    assert [parse_verdict(r) for r in ("yes", " NO.", "**Yes**, see line 2", "Yesterday", "", "Maybe")] == [
        True, False, True, None, None, None]


def test_focus_evidence_keeps_the_sentences_about_the_answer() -> None:
    evidence = ["Parking is free. " * 20 + "The X-200 limit is 14 bar. " + "Lunch is at noon. " * 20]
    focused = focus_evidence(evidence, "X-200 limit?", "14 bar", max_chars=60)
    assert "14 bar" in focused and len(focused) <= 60


def test_reverse_question_relevance(minilm) -> None:
    metric = ReverseQuestionRelevance(RuleJudge(), minilm)
    on_topic, off_topic, empty = metric.score([
        Sample("What is the maximum pressure of the pump?", "14 bar", "14 bar"),
        Sample("What is the maximum pressure of the pump?", "Pizza", "14 bar"),
        Sample("What is the maximum pressure of the pump?", "", "14 bar"),
    ])
    assert on_topic > 0.7 and off_topic < on_topic - 0.3 and empty == 0.0


# --- the registry ---------------------------------------------------------------------------------------------------

def test_registry_builds_every_metric_and_refuses_missing_dependencies(minilm) -> None:
    metrics = build_metrics(list(METRICS), embedder=minilm, judge=RuleJudge())
    assert [m.name for m in metrics] == list(METRICS)  # a class's name is its registry key
    assert "faithfulness_judge" not in JUDGE_FREE and "answer_relevance_reverse" not in JUDGE_FREE
    with pytest.raises(ValueError, match="needs judge"):
        build_metrics(["faithfulness_judge"], embedder=minilm)
    with pytest.raises(ValueError, match="unknown metric 'bleu'"):
        build_metrics(["bleu"])


def test_every_metric_is_deterministic(minilm) -> None:
    samples = list(CASES.values())
    for metric in build_metrics(list(METRICS), embedder=minilm, judge=RuleJudge()):
        first, again = metric.score(samples), metric.score(samples)
        assert first == again, metric.name
        assert all(v is None or 0.0 <= v <= 1.0 for v in first), metric.name
        assert np.isfinite([v for v in first if v is not None]).all()
