"""Meeting transcripts and subtitles (``.vtt``: Teams, Zoom, Google Meet, YouTube; ``.srt``) as what was said: cue
numbers, timings and styling left out, each speaker's consecutive cues joined into one paragraph that starts with
their name, so a chunk holds whole turns of the conversation rather than four-second fragments.

A speaker is read from WebVTT's voice tag (``<v Jane Roe>``, Teams) or from a ``Name:`` the cue text starts with
(Zoom); cues without one continue the paragraph before them. Captions that roll (YouTube's automatic ones) start
each cue with the line before it, so the words a cue repeats from the end of the paragraph are not added twice.
WebVTT's NOTE, STYLE and REGION blocks have no timing line and are not read.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ragvsft.errors import UnreadableFile
from ragvsft.textforms import decode

# A cue's timing line: "00:01:02.500 --> 00:01:05.000 align:start" (WebVTT; hours optional) or with a comma (SRT).
_TIMING = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s+-->\s+(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]{1,100})>")
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>|<\d{1,2}:\d{2}[:.\d]{0,10}>")  # styling, and karaoke timestamps
_NAMED = re.compile(r"^([^\s:<>][^:<>]{0,60}?):\s+(?=\S)")  # "Jane Roe: we need ..." (Zoom's transcripts)


def read_transcript(raw: bytes) -> str:
    r"""What was said, a paragraph per turn: ``Speaker: text``.

    Example:
        >>> print(read_transcript(b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\n<v Jane Roe>The X-200 stops</v>\n\n"
        ...                       b"2\n00:00:03.000 --> 00:00:05.000\n<v Jane Roe>after two minutes.</v>\n\n"
        ...                       b"00:00:05.000 --> 00:00:07.500\nSam Lee: Bleed it at valve <b>V3</b>."))
        Jane Roe: The X-200 stops after two minutes.
        <BLANKLINE>
        Sam Lee: Bleed it at valve V3.
    """
    lines = decode(raw).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    turns: list[_Turn] = []
    cues = 0
    i = 0
    while i < len(lines):
        if not _TIMING.match(lines[i]):
            i += 1
            continue
        cues += 1
        i += 1
        text_lines = []
        while i < len(lines) and lines[i].strip():
            text_lines.append(lines[i])
            i += 1
        _add(turns, " ".join(text_lines))
    if not cues:
        raise UnreadableFile("not a transcript: no cue timings (\"00:00:01.000 --> 00:00:04.000\") in it")
    return "\n\n".join(f"{t.speaker}: {' '.join(t.words)}" if t.speaker else " ".join(t.words) for t in turns)


@dataclass
class _Turn:
    speaker: str
    words: list[str]


def _add(turns: list[_Turn], cue: str) -> None:
    """Adds one cue's text to the conversation: to the last turn when the speaker is the same or unnamed."""
    voice = _VOICE.search(cue)
    text = " ".join(html.unescape(_TAG.sub("", cue)).split())
    speaker = " ".join(voice[1].split()) if voice else ""
    if not speaker and (named := _NAMED.match(text)):
        speaker, text = named[1].strip(), text[named.end():]
    if not text:
        return
    if turns and speaker in ("", turns[-1].speaker):
        turns[-1].words += _unrepeated(turns[-1].words, text.split())
    else:
        turns.append(_Turn(speaker, text.split()))


def _unrepeated(before: list[str], new: list[str], longest: int = 50) -> list[str]:
    """``new`` less the words it repeats from the end of ``before``: three or more, or all of them (a rolling
    caption's repeated line; two words in common are likelier speech)."""
    old = before[-longest:]
    for k in range(min(len(old), len(new)), 0, -1):
        if old[-k:] == new[:k] and (k >= 3 or k == len(new)):
            return new[k:]
    return new
