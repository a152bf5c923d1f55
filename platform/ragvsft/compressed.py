"""Documents saved compressed with gzip: a mailing list's monthly archive (``2024-January.txt.gz``), a list server's
mailbox export (``list.mbox.gz``), a dump someone gzipped. Unpacked in memory, with a bound, then read by the
reader of the name inside (``.txt``, ``.mbox``, ``.md``, …).
"""

from __future__ import annotations

import gzip
import io
import zlib

from ragvsft.errors import UnreadableFile

UNPACKED_LIMIT = 100 * 2**20  # a gzip bomb (1,000× is easy) is refused, not expanded


def gunzipped(raw: bytes) -> bytes:
    """The bytes ``raw`` unpacks to (every member of a multi-member file); :class:`UnreadableFile` for a broken or
    truncated file, or one unpacking to over :data:`UNPACKED_LIMIT`.

    Example:
        >>> gunzipped(gzip.compress(b"Pump X-200"))
        b'Pump X-200'
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unpacking:
            data = unpacking.read(UNPACKED_LIMIT + 1)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError; a cut file is an EOFError
        raise UnreadableFile(f"not a readable gzip file ({exc or 'it ends early'})") from None
    if len(data) > UNPACKED_LIMIT:
        raise UnreadableFile(f"unpacks to over {UNPACKED_LIMIT / 2**20:.0f} MiB, more than this reader unpacks; "
                             "unpack it into docs/ to include it")
    return data
