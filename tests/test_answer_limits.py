"""Answer length and stop strings fitted to the corpus' training answers, unless the experiment sets them."""

from __future__ import annotations

import pytest

from ragvsft.answer_limits import MAX_NEW_TOKENS, MIN_NEW_TOKENS, answer_limits, hit_limit_share

SHORT = ["22 weeks", "Ines Marlow", "14 bar", "Tripdesk"] * 10
PARAGRAPHS = [("Open the service hatch and isolate the pump. " * (n % 7 + 2)).strip() + "\nThen call support."
              for n in range(40)]


def test_short_fact_answers_get_a_small_budget_and_a_newline_stop() -> None:
    limits = answer_limits(0, None, SHORT, str.split)
    assert limits.max_new_tokens == MIN_NEW_TOKENS and limits.stop == ("\n",)
    assert "no training answer spans lines" in limits.why and "40 training answers" in limits.why


def test_paragraph_answers_get_room_and_no_newline_stop() -> None:
    limits = answer_limits(0, None, PARAGRAPHS, str.split)
    longest = max(len(a.split()) + 1 for a in PARAGRAPHS)
    assert longest <= limits.max_new_tokens <= 1.25 * longest + 1 and limits.stop == ()
    assert "40 training answers span lines" in limits.why


def test_the_config_wins_where_it_is_set() -> None:
    limits = answer_limits(24, ["\n", "###"], PARAGRAPHS, str.split)
    assert (limits.max_new_tokens, limits.stop) == (24, ("\n", "###"))
    assert answer_limits(0, [], SHORT, str.split).stop == ()  # an explicit empty list: no stop string
    assert answer_limits(24, None, PARAGRAPHS, None).max_new_tokens == 24  # a set budget needs no tokenizer
    with pytest.raises(ValueError, match="needs their tokenizer"):
        answer_limits(0, None, PARAGRAPHS, None)


@pytest.mark.parametrize(("answers", "cap"), [([], 64), (["word " * 5000], MAX_NEW_TOKENS)])
def test_bounds(answers: list[str], cap: int) -> None:
    assert answer_limits(0, None, answers, str.split).max_new_tokens == cap


def test_hit_limit_share() -> None:
    assert hit_limit_share([16, 3, 16, 16], 16) == 0.75 and hit_limit_share([], 16) == 0.0
