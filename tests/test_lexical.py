from __future__ import annotations

import pytest

from ragvsft.chunking import Chunk
from ragvsft.lexical import BM25Retriever

CHUNKS = {
    "zh": ["员工每年享有二十七天带薪年假。", "差旅须通过Tripdesk预订机票和酒店。", "病假需要提供医生证明。"],
    "th": ["พนักงานมีวันลาพักร้อน 27 วันต่อปี", "การเดินทางต้องจองผ่านระบบ Tripdesk", "ลาป่วยต้องมีใบรับรองแพทย์"],
    "en": ["Employees get 27 days of paid annual leave.", "Travel is booked via Tripdesk.", "Sick leave needs a note."],
}
QUESTIONS = {  # (question, the chunk that answers it)
    "zh": [("年假有多少天？", 0), ("怎么预订机票", 1), ("Tripdesk", 1), ("病假需要什么证明", 2)],
    "th": [("วันลาพักร้อนมีกี่วัน", 0), ("จองการเดินทางอย่างไร", 1), ("ลาป่วยต้องใช้อะไร", 2)],
    "en": [("How many days of annual leave?", 0), ("How is travel booked?", 1), ("What does sick leave need?", 2)],
}


@pytest.mark.parametrize("language", CHUNKS)
def test_bm25_finds_the_passage_in_scripts_written_without_spaces(language: str) -> None:
    # Chinese and Thai sentences were one token each under bm25s' own pattern: every score 0, the order arbitrary.
    retriever = BM25Retriever([Chunk(f"{language}#{n}", language, text, 0) for n, text in enumerate(CHUNKS[language])])
    for question, answer in QUESTIONS[language]:
        best = retriever.search(question, 3)[0]
        assert (best.chunk.id, best.score > 0) == (f"{language}#{answer}", True), question
