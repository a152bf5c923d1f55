from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragvsft.chunking import RULES_VERSION, chunk_documents
from ragvsft.documents import Document


def test_chunks_respect_size_keep_ids_and_offsets() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 30 for i in range(10))
    chunks = chunk_documents([Document("a.md", text), Document("b.md", "short")], chunk_chars=200, chunk_overlap_chars=40)
    a_chunks = [c for c in chunks if c.doc_id == "a.md"]
    assert len(a_chunks) >= 10
    assert [c.id for c in a_chunks] == [f"a.md#{n}" for n in range(len(a_chunks))]
    assert all(len(c.text) <= 200 for c in chunks)
    assert all(text[c.start_char : c.start_char + len(c.text)] == c.text for c in a_chunks)
    assert chunks[-1].id == "b.md#0" and chunks[-1].text == "short"


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    text = "First paragraph about leave.\n\nSecond paragraph about travel."
    chunks = chunk_documents([Document("a.md", text)], chunk_chars=40, chunk_overlap_chars=0)
    assert [c.text for c in chunks] == ["First paragraph about leave.", "Second paragraph about travel."]


@settings(max_examples=50, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=2000),
       size=st.integers(20, 300))
def test_every_non_space_character_lands_in_some_chunk(text: str, size: int) -> None:
    chunks = chunk_documents([Document("d", text)], chunk_chars=size, chunk_overlap_chars=size // 5)
    covered = set()
    for chunk in chunks:
        assert len(chunk.text) <= size
        assert text[chunk.start_char : chunk.start_char + len(chunk.text)] == chunk.text
        covered.update(range(chunk.start_char, chunk.start_char + len(chunk.text)))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_chinese_text_is_cut_at_sentence_ends_not_mid_sentence() -> None:
    # No spaces and no ". ": without 。 as a separator, chunks were cut at the size limit, mid-word.
    sentence = "员工每年享有二十七天带薪年假。"  # 15 characters
    chunks = chunk_documents([Document("zh.md", sentence * 20)], chunk_chars=100, chunk_overlap_chars=20)
    assert len(chunks) > 3 and all(c.text.endswith("。") and len(c.text) % len(sentence) == 0 for c in chunks)


@pytest.mark.parametrize(("sentence", "stop"), [
    ("Can unused leave be carried over into the next calendar year? ", "?"),  # no ". ": was cut between words
    ("कर्मचारियों को हर साल सत्ताईस दिन की छुट्टी मिलती है। ", "।"),  # Hindi, the danda: was cut between words
    ("បុគ្គលិកមានច្បាប់ឈប់សម្រាកម្ភៃប្រាំពីរថ្ងៃក្នុងមួយឆ្នាំ។", "។"),  # Khmer, no spaces: was cut between letters
    ("ဝန်ထမ်းများသည်နှစ်စဉ်ခွင့်ရက်နှစ်ဆယ့်ခုနစ်ရက်ရရှိသည်။", "။"),  # Burmese, likewise
], ids=["english-questions", "hindi", "khmer", "burmese"])
def test_other_sentence_stops_cut_a_long_paragraph_between_sentences(sentence: str, stop: str) -> None:
    chunks = chunk_documents([Document("d.md", sentence * 20)], chunk_chars=150, chunk_overlap_chars=30)
    assert len(chunks) > 3
    assert all(c.text.endswith(stop) and c.text.startswith(sentence[:8]) for c in chunks), [c.text for c in chunks]


def test_the_rules_are_part_of_an_index_fingerprint_and_manifest() -> None:
    from ragvsft.indexing import IndexSpec, settings_differences

    spec = IndexSpec("e", chunk_chars=800, chunk_overlap_chars=100)
    assert spec.chunk_rules == RULES_VERSION >= 2
    assert dataclasses.replace(spec, chunk_rules=1).fingerprint("d") != spec.fingerprint("d")
    # A version built before the rules were recorded was cut by the first ones: `search` says so.
    earlier = {"chunking": {"chunk_chars": 800, "chunk_overlap_chars": 100}, "index": {"type": "flat"}}
    assert settings_differences(earlier, spec) == [f"chunk_rules: built 1, configured {RULES_VERSION}"]
