"""A Markdown file as its rendered page reads: what the site generator and the HTML parser keep from the reader
stays out of the document too.

Two things in a Markdown file are never shown: its front matter (the ``---`` block of page settings Jekyll, Hugo,
Docusaurus, MkDocs and Obsidian read: ids, slugs, sidebar positions, tags, dates, shared by every page alike) and
HTML comments (drafts, superseded figures, lint directives). Only the front matter's title is shown, as the
page's heading, and many pages hold their title nowhere else.
"""

from __future__ import annotations

import re
import tomllib

import yaml

from ragvsft.textforms import decode, normalize

# Front matter opens the file: YAML between "---" lines (closed by "---" or "..."), or TOML between "+++" lines.
_FRONT_MATTER = re.compile(r"\A(?:---[ \t]*\n(?:(?P<yaml>.*?)\n)??(?:---|\.\.\.)|\+\+\+[ \t]*\n(?:(?P<toml>.*?)\n)??\+\+\+)"
                           r"[ \t]*(?:\n|\Z)", re.DOTALL)
FRONT_MATTER_LIMIT = 64 * 1024  # page settings run to a few hundred bytes; past this a "---" is a rule, not settings

# Code (a fenced block, ``` or ~~~ to the same fence or the end, or an inline `span`), kept; or an HTML comment
# outside code, with its end (an unclosed "<!--" is left as written rather than taking the rest of the file).
_CODE_OR_COMMENT = re.compile(r"(?P<code>^[ \t]{0,3}(?P<fence>`{3,}|~{3,}).*?(?:^[ \t]{0,3}(?P=fence)|\Z)|`[^`\n]+`)"
                              r"|<!--.*?-->", re.MULTILINE | re.DOTALL)


def read_markdown(raw: bytes) -> str:
    r"""A Markdown file's text as its page shows it: front matter replaced by its title (:func:`without_front_matter`)
    and HTML comments dropped: a reader never sees them, and they hold drafts and superseded figures ("<!-- was 25
    days -->") that retrieval would otherwise serve as the document's word. A comment shown in code (a fenced
    block, an inline span) is code, and stays.

    Example:
        >>> read_markdown(b"Leave is 27 days<!-- was 25 -->. Write `<!--` to start one.\n```html\n<!-- kept -->\n```")
        'Leave is 27 days. Write `<!--` to start one.\n```html\n<!-- kept -->\n```'
    """
    text = without_front_matter(normalize(decode(raw)))  # line ends as \n first: a file saved on Windows has \r\n
    # No comment closes after the last "-->": searching only up to it keeps a file of unclosed "<!--" linear.
    end = text.rfind("-->") + len("-->")
    if end < len("-->"):
        return text
    return _CODE_OR_COMMENT.sub(lambda m: m[0] if m["code"] else "", text[:end]) + text[end:]


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
