"""Search recipe: ranked chunks for one question from the experiment's live index.

    ragvsft search experiments/demo.toml "How many days of parental leave?" -k 5
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ragvsft.builders import load_retriever
from ragvsft.config import ExperimentConfig
from ragvsft.errors import RagvsftError
from ragvsft.store import Hit


def main(config: ExperimentConfig, console: Console, question: str, k: int) -> list[Hit]:
    if not question.strip():
        raise RagvsftError("the question is empty")
    # Refuses an index built with another embedder: its vectors would rank nonsense without failing.
    retriever, _ = load_retriever(config.index, config.output_dir / "index")
    hits = retriever.search(question, k)
    table = Table(title=f"top {len(hits)} chunks for: {question}", show_lines=True)
    for column, justify in (("rank", "right"), ("score", "right"), ("document", "left"), ("chunk", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for hit in hits:
        snippet = " ".join(hit.chunk.text.split())
        table.add_row(str(hit.rank), f"{hit.score:.3f}", hit.chunk.id, snippet[:300] + ("…" if len(snippet) > 300 else ""))
    console.print(table)
    return hits
