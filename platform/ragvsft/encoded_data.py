"""Base64 data inside documents: pictures pasted into Markdown as ``data:`` URIs (what Notion, Typora, Obsidian and
notebook exports write), certificates and attachments pasted as encoded text. It holds no words to retrieve, yet
it is text to a reader: a 300 KB screenshot splits into ~500 chunks of noise that are embedded, stored, retrieved
for questions and asked about by ``ragvsft synthesize``, and whose density (~2 characters a token) makes the
chunk-length check tell the user to shrink every chunk. Each run of it is replaced by :data:`LEFT_OUT`.
"""

from __future__ import annotations

import re

LEFT_OUT = "[base64 data left out]"

# A data: URI's payload, whatever its length (the URI says it is encoded); the media type and parameters are kept.
_DATA_URI = re.compile(r"(?P<head>data:(?:[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+=[\w.%+-]+)*;base64,)"
                       r"(?P<payload>[A-Za-z0-9+/_-]+=*)", re.IGNORECASE)
# Elsewhere only what no prose holds: a 256-character "word" of the base64 alphabet, or 4+ lines of one (60+
# characters each, as MIME and PEM wrap it at 76 and 64; indented, as in a Markdown code block).
_LONG_RUN = re.compile(r"(?P<head>)(?P<payload>(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{256,}={0,2})")
_WRAPPED = re.compile(r"(?m)(?P<head>)(?P<payload>^(?:[ \t]*[A-Za-z0-9+/]{60,}={0,2}\n){3,}[ \t]*[A-Za-z0-9+/]+={0,2}$)")
# ... and that mixes capitals, small letters and digits, as encoded bytes do (a 256-character run misses one of
# them with odds of ~1e-19): hex digests, DNA sequences and long identifiers do not.
_CLASSES = (re.compile("[A-Z]"), re.compile("[a-z]"), re.compile("[0-9]"))


def drop_encoded_data(text: str) -> tuple[str, int]:
    """``text`` with each base64 payload replaced by :data:`LEFT_OUT`, and how many characters were left out.

    Example:
        >>> drop_encoded_data("See ![chart](data:image/png;base64,iVBORw0KGgo=) below.")
        ('See ![chart](data:image/png;base64,[base64 data left out]) below.', 12)
        >>> drop_encoded_data("sha256 " + "0f" * 200)[1]
        0
    """
    dropped = 0

    def left_out(match: re.Match[str]) -> str:
        nonlocal dropped
        payload = match["payload"]
        if not match["head"] and not all(c.search(payload) for c in _CLASSES):
            return match[0]
        dropped += len(payload)
        return match["head"] + LEFT_OUT

    for pattern in (_DATA_URI, _WRAPPED, _LONG_RUN):
        text = pattern.sub(left_out, text)
    return text, dropped
