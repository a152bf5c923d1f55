"""A PDF's pages as one document text: what a reader of the printed pages would take in.

Text extraction gives each page's lines as typeset. Four things in them are print layout, not the document's
words, and each costs retrieval: the running header and footer printed on every page ("ACME · Service manual ·
Confidential", "Page 3 of 12") land in the middle of whatever sentence crosses the page and repeat in every
chunk; justified lines come with runs of spaces, which count against a chunk's length; a sentence that crosses
a page is cut by a paragraph break, where the splitter prefers to split; and a word hyphenated at a line end
reaches the embedder as two halves.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

# A page's running lines are among its first and last three, or quarter on a short page (a slide's few lines are
# mostly text): a header or footer takes a line or two.
EDGE_LINES = 3
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[ \t]{2,}")
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")  # after a page's last line, stripped


def document_text(pages: list[str], shown: list[list[str]] | None = None) -> str:
    r"""One document text from the text of each of a PDF's pages: running headers and footers taken out
    (:func:`running_lines`), runs of spaces (justified lines) made one, and words hyphenated at line ends rejoined
    (:func:`rejoin_hyphenated`). Pages are joined by a paragraph break where one ends a sentence, else by a line
    break: the demo corpus typeset as PDFs twice, its page breaks falling elsewhere the second time, retrieved
    alike (hit@1 0.807 both times) where a paragraph break between every two pages made it 0.819 and 0.807.

    A running line goes from every page, the first too: kept once at the start, the demo corpus as PDFs with a
    header naming company, document and "Internal use only" retrieved worse (hit@1 0.766 against 0.807 without
    it), probably as each document's first chunk then shared those words with every other's. A document whose
    every line is a running line (a deck of one repeated title) is read as it is rather than as nothing.

    ``shown`` are lines each page shows outside its text (filled-in form fields), put after its text: they are
    not in the page's layout, so neither taken for running lines nor pushing a footer off the page's last lines.

    Example:
        >>> page = "ACME X-200 manual · rev 3\n{}\nPage {} of 2"
        >>> document_text([page.format("The pump needs regular mainte-", 1), page.format("nance every    30 days.", 2)])
        'The pump needs regular maintenance\nevery 30 days.'
    """
    lines = [[_SPACES.sub(" ", line).strip() for line in page.split("\n")] for page in pages]
    shown = shown or [[] for _ in pages]
    return rejoin_hyphenated(_joined(lines, running_lines(lines), shown) or _joined(lines, set(), shown))


def _joined(lines: list[list[str]], furniture: set[tuple[int, str]], shown: list[list[str]]) -> str:
    """The pages' lines but their ``furniture``, each page followed by what it shows outside its text, as one text:
    a paragraph break between pages where one ends a sentence, else a line break."""
    text = ""
    for number, page in enumerate(lines):
        edges = set(_edges(page))
        body = "\n".join(line for i, line in enumerate(page) if not (i in edges and (number, line) in furniture))
        body = "\n".join(part for part in (body.strip(), *shown[number]) if part)
        if body:
            text += ("\n\n" if _SENTENCE_END.search(text) else "\n") + body
    return text.strip()


def running_lines(pages: list[list[str]]) -> set[tuple[int, str]]:
    """The lines of ``pages`` that are a running header or footer, as (page index, line).

    A line is one when it stands among the first or last lines (:data:`EDGE_LINES`) of several pages (every page
    of two, two of three or four, three of more: a title page or a chapter's own header still leaves most pages'
    lines found), or when lines alike but for one number that goes up with the page stand there on two pages or
    more ("Page 3 of 12", "- 3 -", "Chapter 2: Setup 7"); a table row or a step that starts two pages with
    other numbers is not one.

    Example:
        >>> pages = [["Report", "Sales rose.", "1"], ["Report", "Costs fell.", "2"], ["Report", "Net: 4.", "3"]]
        >>> sorted(running_lines(pages))
        [(0, '1'), (0, 'Report'), (1, '2'), (1, 'Report'), (2, '3'), (2, 'Report')]
    """
    needed = max(2, min(3, math.ceil(len(pages) / 2)))
    by_form: dict[str, dict[int, str]] = defaultdict(dict)  # a line's form (each number made "0") -> page -> line
    for number, page in enumerate(pages):
        for i in _edges(page):
            by_form[_DIGITS.sub("0", page[i].casefold())].setdefault(number, page[i])
    found: set[tuple[int, str]] = set()
    for on_page in by_form.values():
        repeated = {line for line, pages_on in Counter(on_page.values()).items() if pages_on >= needed}
        found.update((page, line) for page, line in on_page.items() if line in repeated)
        found.update(_numbering_the_page(on_page))
    return found


def _edges(page: list[str]) -> list[int]:
    """The positions of the lines holding text that start and end a page (:data:`EDGE_LINES`)."""
    shown = [i for i, line in enumerate(page) if line]
    edge = min(EDGE_LINES, max(1, len(shown) // 4))
    return shown[:edge] + shown[edge:][-edge:]


def _numbering_the_page(on_page: dict[int, str]) -> list[tuple[int, str]]:
    """Of lines alike but for their numbers (by page), those on two pages or more whose number in one place is
    the page's number plus one offset (the most common there): a page numbered otherwise, or a line of the text
    that happens to look alike, is left out."""
    # A page number has a few digits; the first six of a longer number keep int() off a hostile 5,000-digit one.
    numbers = {page: [int(n[:6]) for n in _DIGITS.findall(line)] for page, line in on_page.items()}
    best: list[tuple[int, str]] = []
    for place in range(len(next(iter(numbers.values())))):  # one form: as many numbers in each line
        offset, _ = Counter(values[place] - page for page, values in numbers.items()).most_common(1)[0]
        following = [(page, on_page[page]) for page, values in numbers.items() if values[place] - page == offset]
        best = max(best, following, key=len)
    return best if len(best) >= 2 else []


# A word cut at a line end: its first part ends in a word character and a hyphen, the rest starts the next line.
_LINE_END_HYPHEN = re.compile(r"\b(\w+)-\n(\S+)(\s?)")  # \b: one try per word, not per letter
_LETTERS = re.compile(r"[^\W\d_]+")


def rejoin_hyphenated(text: str) -> str:
    r"""``text`` (a PDF's lines) with each word that typesetting cut at a line end whole again, and the line break
    after it: "needs mainte-\nnance every" -> "needs maintenance\nevery". Cut halves of a word would be two
    words to the embedder and never match an answer's "maintenance". The hyphen goes where the rest continues the
    word (a small letter, or capitals after capitals: "SE-QUENCE"), and stays where the document writes the pair
    with a hyphen elsewhere or the rest starts otherwise ("X-200", "Jean-Pierre").

    Example:
        >>> rejoin_hyphenated("Regular mainte-\nnance, every 30 days; the X-\n200 has a\nwell-known seal; a well-\nknown "
        ...                   "fault is in SE-\nQUENCE\nmode.")
        'Regular maintenance,\nevery 30 days; the X-200\nhas a\nwell-known seal; a well-known\nfault is in SEQUENCE\nmode.'
    """
    compounds = {m.casefold() for m in re.findall(r"\b[^\W\d_]+-[^\W\d_]+", text)}

    def rejoined(match: re.Match[str]) -> str:
        first, rest = match[1], match[2]
        second = m[0] if (m := _LETTERS.match(rest)) else ""
        continues = second[:1].islower() or (first.isupper() and second.isupper())
        cut = _LETTERS.fullmatch(first) and continues and f"{first}-{second}".casefold() not in compounds
        line_end = "\n" if match[3] else ""  # the break goes after the word; none was there at the end of the text
        return f"{first}{'' if cut else '-'}{rest}{line_end}"

    return _LINE_END_HYPHEN.sub(rejoined, text)
