"""How the document readers fare on a folder of real files, and on random damage to them: a table per file type
of how many were read, held no text, or were skipped with a reason (and which reasons), none of which should have
failed any other way, with the slowest file.

Files of the format's own test suites are the usual input (not in this repository), e.g. Apache POI's, which
hold Office 97-2003 files from bug reports and fuzzers:

    git clone --depth 1 https://github.com/apache/poi
    .venv/bin/python benchmarks/reader_sweep.py poi/test-data --types .doc .xls .ppt --damage 500

``--damage N`` also reads N copies of the files, each with random bytes overwritten (or cut short), and reports
the same table for them.
"""

from __future__ import annotations

import argparse
import collections
import random
import time
from pathlib import Path

from ragvsft.documents import READERS, read_document


def sweep(files: list[Path], damage: int, seed: int) -> list[tuple[str, str, collections.Counter, float]]:
    """(type, which files, outcome counts, slowest seconds) per type, for the files and their damaged copies."""
    rows = []
    rng = random.Random(seed)
    by_type: dict[str, list[Path]] = collections.defaultdict(list)
    for path in files:
        by_type[path.suffix.lower()].append(path)
    for suffix, paths in sorted(by_type.items()):
        raws = [path.read_bytes() for path in paths]
        rows.append((suffix, f"{len(raws)} files", *_outcomes(READERS[suffix], raws)))
        if damage and raws:
            rows.append((suffix, f"{damage} damaged", *_outcomes(READERS[suffix], [_damaged(rng, rng.choice(raws))
                                                                                  for _ in range(damage)])))
    return rows


def _outcomes(reader, raws: list[bytes]) -> tuple[collections.Counter, float]:
    """How the corpus loader takes each of ``raws`` in (:func:`ragvsft.documents.read_document`): read, no text,
    skipped with a reason, or failed, a reader's error it words only as "could not be read"."""
    outcomes: collections.Counter = collections.Counter()
    slowest = 0.0
    for raw in raws:
        start = time.perf_counter()
        _, reason, _ = read_document(reader, raw)
        if reason is None:
            outcomes["read"] += 1
        elif reason.startswith(("empty", "only base64")):
            outcomes["no text"] += 1
        elif reason.startswith("could not be read: "):
            outcomes[f"FAILED: {reason.removeprefix('could not be read: ').partition(':')[0]}"] += 1
        else:
            outcomes[f"skipped: {reason[:48]}"] += 1
        slowest = max(slowest, time.perf_counter() - start)
    return outcomes, slowest


def _damaged(rng: random.Random, raw: bytes) -> bytes:
    """``raw`` with 1-20 random bytes overwritten past its first 512 (an OLE header's), and one in ten cut short."""
    damaged = bytearray(raw)
    for _ in range(rng.choice([1, 4, 20])):
        if len(damaged) > 512:
            damaged[rng.randrange(512, len(damaged))] = rng.randrange(256)
    return bytes(damaged[:rng.randrange(len(damaged))] if rng.random() < 0.1 and damaged else damaged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="searched recursively for files of --types")
    parser.add_argument("--types", nargs="+", default=[".doc", ".xls", ".ppt"], help="extensions to read")
    parser.add_argument("--damage", type=int, default=0, help="damaged copies to read per type (default 0)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    unknown = [t for t in args.types if t not in READERS]
    if unknown:
        parser.error(f"no reader for {', '.join(unknown)}; known: {', '.join(sorted(READERS))}")
    files = sorted(p for p in args.folder.rglob("*") if p.is_file() and p.suffix.lower() in args.types)
    print(f"{'type':6} {'files':>14}  {'read':>5} {'no text':>7} {'skipped':>7} {'FAILED':>6}  {'slowest':>8}  reasons")
    for suffix, which, outcomes, slowest in sweep(files, args.damage, args.seed):
        skipped = {k: v for k, v in outcomes.items() if k.startswith("skipped")}
        failed = sum(v for k, v in outcomes.items() if k.startswith("FAILED"))
        reasons = "; ".join(f"{v}× {k.removeprefix('skipped: ')}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])[:3])
        print(f"{suffix:6} {which:>14}  {outcomes['read']:5} {outcomes['no text']:7} {sum(skipped.values()):7} "
              f"{failed:6}  {slowest * 1000:6.0f}ms  {reasons}")


if __name__ == "__main__":
    main()
