"""How messages list many things: the first few, then how many more, so a long list does not bury the message."""

from __future__ import annotations

from collections.abc import Sequence

SHOWN = 3  # items a message names before "and N more"


def first_few(items: Sequence[str], shown: int = SHOWN) -> str:
    """``items`` joined with commas, the first ``shown`` of them, then how many more.

    Example:
        >>> first_few(["a.md", "b.md", "c.md", "d.md", "e.md"]), first_few(["a.md"])
        ('a.md, b.md, c.md and 2 more', 'a.md')
    """
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
