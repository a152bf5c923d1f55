"""A Markdown file as its rendered page reads: what the site generator and the HTML parser keep from the reader
stays out of the document too.

Three things in a Markdown file are never shown: its front matter (the ``---`` block of page settings Jekyll,
Hugo, Docusaurus, MkDocs and Obsidian read: ids, slugs, sidebar positions, tags, dates, shared by every page
alike), HTML comments (drafts, superseded figures, lint directives) and the tags of HTML written into it (their
text is shown). Only the front matter's title is shown, as the page's heading, and many pages hold their title
nowhere else.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Callable

import yaml

from ragvsft.textforms import decode, normalize, paragraphs

# Front matter opens the file: YAML between "---" lines (closed by "---" or "..."), or TOML between "+++" lines.
_FRONT_MATTER = re.compile(r"\A(?:---[ \t]*\n(?:(?P<yaml>.*?)\n)??(?:---|\.\.\.)|\+\+\+[ \t]*\n(?:(?P<toml>.*?)\n)??\+\+\+)"
                           r"[ \t]*(?:\n|\Z)", re.DOTALL)
FRONT_MATTER_LIMIT = 64 * 1024  # page settings run to a few hundred bytes; past this a "---" is a rule, not settings

# Code, which stays as written: a fenced block (``` or ~~~ to the same fence or the end) or an inline `span`. Each
# pattern below is this or what to drop or replace outside code (:func:`_outside_code`).
_CODE = r"(?P<code>^[ \t]{0,3}(?P<fence>`{3,}|~{3,}).*?(?:^[ \t]{0,3}(?P=fence)|\Z)|`[^`\n]+`)"
_HTML_COMMENT = re.compile(_CODE + r"|<!--.*?-->", re.MULTILINE | re.DOTALL)
# HTML written into Markdown (tables, <br>, <details>, <kbd>), of HTML's own elements only (a "<name>" placeholder
# stays), and character references (&nbsp;, &amp;): between two table cells " | " (a row reads as an HTML page's
# does), a block element a line break, an inline one nothing, a reference its character.
_BLOCK = ("address|article|aside|blockquote|br|caption|center|dd|details|div|dl|dt|figcaption|figure|footer|h[1-6]|"
          "header|hr|li|main|nav|ol|p|pre|section|summary|table|tbody|tfoot|thead|tr|ul")
_INLINE = "a|abbr|b|big|cite|code|del|em|font|i|img|ins|kbd|mark|picture|q|s|samp|small|source|span|strike|strong|" \
          "sub|sup|td|th|time|u|var|wbr"
_HTML = re.compile(_CODE + r"|(?P<cell></t[dh]\s*>\s*<t[dh](?:\s[^<>]*)?>)"
                   rf"|(?P<block></?(?:{_BLOCK})(?:\s[^<>]*)?/?>)|</?(?:{_INLINE})(?:\s[^<>]*)?/?>"
                   r"|(?P<reference>&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)",
                   re.MULTILINE | re.DOTALL | re.IGNORECASE)
# MDX (Markdown with JSX, what Docusaurus pages are written in): a {/* comment */}; an import/export block (to
# the next blank line, as MDX reads it) or a JSX or HTML tag (its text between tags stays). MDX compiles only
# when every "<" outside code opens a tag, so none of these is prose.
_MDX_COMMENT = re.compile(_CODE + r"|\{/\*.*?\*/\}", re.MULTILINE | re.DOTALL)
_MDX_MARKUP = re.compile(_CODE + r"|^(?:import|export)\b.*?(?=\n[ \t]*\n|\Z)|</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>",
                         re.MULTILINE | re.DOTALL)


def read_markdown(raw: bytes) -> str:
    r"""A Markdown file's text as its page shows it: front matter replaced by its title (:func:`without_front_matter`),
    HTML comments dropped (a reader never sees them, and they hold drafts and superseded figures, "<!-- was 25
    days -->", that retrieval would otherwise serve as the document's word), and HTML written into the page read as
    its text. Code (a fenced block, an inline span) stays as written.

    Example:
        >>> read_markdown(b"Leave is 27 days<!-- was 25 -->. Write `<!--` to start one.\n```html\n<!-- kept -->\n```")
        'Leave is 27 days. Write `<!--` to start one.\n```html\n<!-- kept -->\n```'
        >>> read_markdown(b"Press <kbd>Stop</kbd> at 4&nbsp;bar.<br>Then wait for a <placeholder>.")
        'Press Stop at 4\xa0bar.\nThen wait for a <placeholder>.'
    """
    return markdown_text(decode(raw))


def markdown_text(text: str) -> str:
    """:func:`read_markdown` for text already decoded (a notebook's Markdown cell)."""
    text = without_front_matter(normalize(text))  # line ends as \n first: a file saved on Windows has \r\n
    return _outside_code(_HTML, _outside_code(_HTML_COMMENT, text, closed_by="-->"), _html_replaced)


def _html_replaced(match: re.Match[str]) -> str:
    if match["cell"]:
        return " | "
    if match["reference"]:
        return html.unescape(match["reference"])
    return "\n" if match["block"] else ""


def read_mdx(raw: bytes) -> str:
    r"""An MDX page's text as it renders: read as Markdown (:func:`read_markdown`), without the imports and
    exports, JSX comments and component tags a reader never sees; the text inside components stays.

    Example:
        >>> read_mdx(b"import Tabs from '@theme/Tabs';\n\n<Tabs>\n<TabItem value=\"apt\">\n\nRun `<apt>` as root.\n"
        ...          b"</TabItem>\n</Tabs>{/* TODO: yum */}")
        'Run `<apt>` as root.'
    """
    text = _outside_code(_MDX_MARKUP, _outside_code(_MDX_COMMENT, read_markdown(raw), closed_by="*/}"))
    return paragraphs(text)  # the lines tags stood on, as one break


def without_front_matter(text: str) -> str:
    r"""``text`` with the front matter it opens with replaced by its ``title`` as a heading (none where the page
    starts with that heading already, or the settings have no title). A block that does not read as settings (a
    rule and a paragraph, broken YAML) is text and stays as written.

    Example:
        >>> without_front_matter('---\ntitle: "Travel policy"\nslug: /travel\nsidebar_position: 3\n---\nBook economy.')
        '# Travel policy\n\nBook economy.'
        >>> without_front_matter("---\nA rule, then a paragraph.\n---\nText.")
        '---\nA rule, then a paragraph.\n---\nText.'
    """
    match = _FRONT_MATTER.match(text[:FRONT_MATTER_LIMIT])
    if not match:
        return text
    try:
        settings = tomllib.loads(match["toml"] or "") if match[0][0] == "+" else yaml.safe_load(match["yaml"] or "{}")
    except (yaml.YAMLError, ValueError, RecursionError):  # tomllib's error is a ValueError; deep nesting recurses
        return text
    if not isinstance(settings, dict):
        return text
    body = text[match.end():].lstrip("\n")
    title = settings.get("title")
    if not isinstance(title, str | int | float) or isinstance(title, bool) or not str(title).strip():
        return body
    title = " ".join(str(title).split())
    first_line = body.split("\n", 1)[0]
    return body if first_line.lstrip("#").strip() == title else f"# {title}\n\n{body}"


def _outside_code(pattern: re.Pattern[str], text: str, replaced: Callable[[re.Match[str]], str] = lambda m: "", *,
                  closed_by: str = "") -> str:
    """``text`` with the matches of ``pattern`` (:data:`_CODE` or what to replace) outside code ``replaced``
    (dropped by default). A pattern for something ``closed_by`` a closer (a comment) is searched only up to its last
    closer: nothing closes after it, so an opener left unclosed stays as written, and a file of 200,000 of them is
    read in linear time."""
    end = text.rfind(closed_by) + len(closed_by) if closed_by else len(text)
    if end < len(closed_by):
        return text
    return pattern.sub(lambda m: m[0] if m["code"] else replaced(m), text[:end]) + text[end:]
