"""The verdict: which way to go, from documented rules over the measured numbers.

Names: **R** = RAG at its plateau (the ``rag`` arm at the plateau of its
top-k curve; without a top-k sweep, ``rag`` as configured), **B** = the base
model, **O** = the ``oracle`` arm (gold passages in the prompt), **F** = the
best closed-book fine-tune (``finetuned``) and **H** = the best fine-tune +
retrieval (``hybrid``) anywhere in the sweep. "X beats Y" means X − Y > 0
with a paired-test p below ``alpha``; "X matches Y" means the whole 95 %
paired interval of X − Y lies above ``-match_margin``: no worse beyond a
margin, shown, not merely no significant difference (too few questions to
tell two arms apart would otherwise read as a match). Rules, first match
wins:

1. **nothing helps** — neither R, F nor H beats B: the eval set measures
   nothing the corpus teaches (check questions, answers and the metric).
2. **the model cannot read context** — O exists and does not beat B, and H
   beats R: even the right passage does not help the base model; fine-tune
   it to read passages (``recipe = "raft"``) and keep retrieving.
3. **both** — H beats R and H beats F (when F was measured): fine-tune and retrieve.
4. **fine-tune closed-book** — F beats R, or F matches R with a lower p50
   latency: the facts fit in the weights (stable facts, latency-bound).
5. **RAG is enough** — otherwise; when O beats R by at least
   ``RETRIEVAL_GAP``, retrieval is the bottleneck: improve retrieval
   (chunking, embedder, top_k) before fine-tuning.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragvsft.ceiling import Ceiling, CurvePoint, best_over, compare
from ragvsft.results import ExperimentResults, point_label
from ragvsft.stats import PairedTest, format_p

RETRIEVAL_GAP = 0.05  # absolute metric points the oracle must be above RAG for "retrieval is the bottleneck"


@dataclass(frozen=True)
class Verdict:
    """The rule that fired (``rule``: its short name) and one sentence of evidence with the numbers."""

    rule: str
    advice: str
    evidence: str

    def __str__(self) -> str:
        return f"{self.advice} {self.evidence}"


def _est(p: CurvePoint) -> str:
    e = p.estimate
    return f"{e.mean:.2f} [{e.low:.2f}, {e.high:.2f}]"


def decide(results: ExperimentResults, ceiling: Ceiling, *, alpha: float = 0.05, match_margin: float = 0.05,
           seed: int = 0) -> Verdict:
    """Apply the rules above (module docstring) to a run's or a sweep's results.

    Example:
        >>> str(decide(results, analyse(results, "token_f1")))  # doctest: +SKIP
        'RAG is enough. RAG plateaus at top_k=2 (token_f1 0.41 [0.36, 0.46]); ...'
    """
    m = ceiling.metric
    at = ceiling.at_base
    curve = ceiling.curves.get("rag_top_k")
    rag = ceiling.rag
    rag_where = f"RAG plateaus at top_k={rag.x:g}" if curve and rag else "RAG"
    base, oracle = at.get("base"), at.get("oracle")
    ft = best_over(results, "finetuned", m, seed)
    hy = best_over(results, "hybrid", m, seed)

    def beats(a: CurvePoint | None, b: CurvePoint | None) -> PairedTest | None:
        if a is None or b is None:
            return None
        t = compare(a, b, seed)
        return t if t.n and t.diff > 0 and t.p < alpha else None

    def where(values: dict) -> str:
        return f" ({point_label(values, ', ')})" if values else ""

    f, h = (ft[0] if ft else None), (hy[0] if hy else None)
    if base and not any(beats(x, base) for x in (rag, f, h)):
        return Verdict("nothing_helps", "Nothing beats the base model.",
                       f"Base {m} {_est(base)}; neither RAG, fine-tuning nor both is significantly better at "
                       f"alpha={alpha}: check the questions, the gold answers and the metric.")
    if oracle and base and not beats(oracle, base) and (t := beats(h, rag)):
        return Verdict("cannot_read_context", "The model cannot use context: fine-tune it to read passages "
                       "(finetune.recipe = \"raft\") and keep retrieving.",
                       f"Even the gold passages (oracle {m} {_est(oracle)}) do not beat the base model "
                       f"({_est(base)}); fine-tune + retrieval{where(hy[1])} reaches {_est(h)}, {t.diff:+.2f} over "
                       f"{rag_where.lower() if curve else 'RAG'}, {format_p(t.p)}.")
    if (t := beats(h, rag)) and (f is None or beats(h, f)):
        return Verdict("both", "Fine-tune and retrieve.",
                       f"{rag_where} ({m} {_est(rag)}); fine-tune + retrieval{where(hy[1])} reaches {_est(h)}, "
                       f"{t.diff:+.2f} over it, {format_p(t.p)}"
                       + (", and beats the closed-book fine-tune." if f else "."))
    unproven = ""
    if f and rag:
        t = compare(f, rag, seed)
        faster = f.latency_ms_p50 < rag.latency_ms_p50
        if t.n and ((t.diff > 0 and t.p < alpha) or (t.low >= -match_margin and faster)):
            return Verdict("finetune_closed_book", "Fine-tune closed-book.",
                           f"The fine-tuned model{where(ft[1])} ({m} {_est(f)}) is {t.diff:+.2f} "
                           f"[{t.low:+.2f}, {t.high:+.2f}] vs {rag_where} ({_est(rag)}), {format_p(t.p)}, at p50 "
                           f"{f.latency_ms_p50:.0f} ms vs {rag.latency_ms_p50:.0f} ms.")
        if t.n and faster:
            unproven = (f" The closed-book fine-tune is faster (p50 {f.latency_ms_p50:.0f} ms vs "
                        f"{rag.latency_ms_p50:.0f} ms), but its difference to RAG, {t.diff:+.2f} [{t.low:+.2f}, "
                        f"{t.high:+.2f}], does not rule out a loss beyond {match_margin:g} (report.match_margin): "
                        "more eval questions would tell.")
    gap = ""
    if oracle and rag and (t := beats(oracle, rag)) and t.diff >= RETRIEVAL_GAP:
        gap = (f" The oracle reaches {_est(oracle)}, so retrieval loses {t.diff:.2f} ({format_p(t.p)}): "
               "improve retrieval (chunking, embedder, top_k) before fine-tuning.")
    fine = ""
    if f or h:
        name, top = ("fine-tune + retrieval", h) if h and (not f or h.estimate.mean >= f.estimate.mean) else (
            "closed-book fine-tune", f)
        if rag:
            fine = f" No fine-tune beats it significantly (best: {name} {_est(top)}, {format_p(compare(top, rag, seed).p)})."
    return Verdict("retrieval_bottleneck" if gap else "rag_enough",
                   "Use RAG, and improve retrieval." if gap else "RAG is enough.",
                   f"{rag_where} ({m} {_est(rag)})." + fine + unproven + gap if rag else "No RAG arm was measured.")
