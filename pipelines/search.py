"""Search recipe: ranked chunks for one question from the experiment's live index.

    ragvsft search experiments/demo.toml "How many days of parental leave?" -k 5
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragvsft.builders import index_spec, load_retriever
from ragvsft.config import ExperimentConfig
from ragvsft.errors import RagvsftError
from ragvsft.indexing import settings_differences
from ragvsft.store import Hit

SHOWN_CHARS = 300  # of the question in the table's title


def main(config: ExperimentConfig, console: Console, question: str, k: int) -> list[Hit]:
    if not question.strip():
        raise RagvsftError("the question is empty")
    # Refuses an index built with another embedder: its vectors would rank nonsense without failing.
    retriever, manifest = load_retriever(config.index, config.output_dir / "index")
    if differences := settings_differences(manifest, index_spec(config.index)):
        console.print(f"[yellow]warning:[/] the live index was built with other settings than the experiment's "
                      f"({'; '.join(differences)}); run `ragvsft index <experiment>` to rebuild it", highlight=False)
    (tokens,), read = retriever.embedder.reads([question])
    if tokens > read:
        console.print(f"[yellow]note:[/] the question has {tokens:,} tokens; the embedder reads the first {read} "
                      "and the rest does not change the search", highlight=False)
    hits = retriever.search(question, k)
    shown = question if len(question) <= SHOWN_CHARS else f"{question[:SHOWN_CHARS]}… ({len(question):,} characters)"
    table = Table(title=f"top {len(hits)} chunks for: {escape(shown)}", show_lines=True)
    for column, justify in (("rank", "right"), ("score", "right"), ("document", "left"), ("chunk", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for hit in hits:
        snippet = " ".join(hit.chunk.text.split())
        copies = f"\n(also in {', '.join(hit.also_in)})" if hit.also_in else ""
        table.add_row(str(hit.rank), f"{hit.score:.3f}", escape(hit.chunk.id + copies),
                      escape(snippet[:300]) + ("…" if len(snippet) > 300 else ""))
    console.print(table)
    return hits
