"""The HTTP API under load: latency, throughput with micro-batching on vs off, memory, a long run with a hot reload,
how often a served answer equals the one `ragvsft run` recorded, and what clients that give up cost the others.

Needs a registered challenger or champion for the experiment's corpus: run `ragvsft run EXPERIMENT` first (same
MLFLOW_TRACKING_URI). Each part starts `ragvsft serve` as its own process on a free port and drives it with
concurrent clients (httpx, one request after another per client, modes mixed). Throughput rows also give the
server's busy cores (its CPU time over the load / wall time): well under the machine's cores while batches run
means the server waits on something.

    .venv/bin/python benchmarks/serve_load.py experiments/demo.toml [--parts agreement,latency,throughput,memory,soak,abandon]
        [--requests 64] [--clients 8,32] [--batch-sizes 8] [--soak-minutes 5] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
KEY = "benchmark-key-0123456789"
MODES = ("base", "rag", "finetuned", "hybrid")
SETTINGS: list[str] = []  # --set KEY=VALUE, for every server this run starts (and the one-mode processes)


def set_flags(settings: Sequence[str]) -> list[str]:
    """``--set KEY=VALUE`` command-line flags for ``settings``."""
    return [arg for setting in settings for arg in ("--set", setting)]


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Served:
    """`ragvsft serve` in a process of its own."""

    def __init__(self, experiment: Path, *settings: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        sets = set_flags((*SETTINGS, *settings))
        # The access log goes to a file: a pipe nobody reads would fill up and block the server.
        self.log = tempfile.NamedTemporaryFile("w+", prefix="ragvsft-serve-", suffix=".log")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ragvsft.cli", "serve", str(experiment), "--port", str(self.port), *sets],
            env={**os.environ, "RAGVSFT_API_KEY": KEY}, stdout=subprocess.DEVNULL, stderr=self.log, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 300
        while True:
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit(f"the server did not start:\n{Path(self.log.name).read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)

    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far, every thread's: over a load, busy cores = its growth / wall time."""
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(120)
        self.log.close()


async def drive(url: str, jobs: Sequence[tuple[str, str]], clients: int) -> tuple[list[dict], float]:
    """Send ``jobs`` (question, mode) from ``clients`` concurrent clients; each result has its latency and reply."""
    queue: asyncio.Queue[tuple[int, tuple[str, str]]] = asyncio.Queue()
    for item in enumerate(jobs):
        queue.put_nowait(item)
    results: list[dict] = [{} for _ in jobs]

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            i, (question, mode) = queue.get_nowait()
            started = time.perf_counter()
            try:
                reply = await http.post("/v1/ask", json={"question": question, "mode": mode})
                body = reply.json() if reply.status_code == 200 else {"error": reply.text}
                status = reply.status_code
            except httpx.HTTPError as exc:
                body, status = {"error": str(exc)}, 0
            results[i] = {"mode": mode, "question": question, "status": status, "body": body,
                          "s": time.perf_counter() - started}

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits,
                                 headers={"Authorization": f"Bearer {KEY}"}) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return results, time.perf_counter() - started


def questions(experiment: Path) -> list[str]:
    from ragvsft.config import load_config
    from ragvsft.corpus import load_corpus

    config = load_config(experiment)
    return [q.question for q in load_corpus(config.corpus, seed=config.seed, eval_fraction=config.eval_fraction)
            .split("eval")]


def mixed(qs: Sequence[str], n: int, modes: Sequence[str] = MODES) -> list[tuple[str, str]]:
    return [(qs[i % len(qs)], modes[i % len(modes)]) for i in range(n)]


TRAFFIC = {"all four modes": MODES, "closed book (base, finetuned)": ("base", "finetuned")}


def part_agreement(experiment: Path) -> None:
    """Every eval question in every mode, against the answers the registered version's run recorded."""
    import mlflow

    from ragvsft import tracking
    from ragvsft.config import load_config
    from ragvsft.corpus import corpus_name
    from ragvsft.pipelines.evaluate import read_answers
    from ragvsft.releases import release_name, served_release

    config, uri = load_config(experiment, SETTINGS), tracking.tracking_uri()
    name = corpus_name(config.corpus)
    pick = served_release(uri, name)
    client = mlflow.MlflowClient(uri)
    # The run that measured the release (the last `ragvsft run` that registered it), whose arms are its children.
    parent = tracking.version_tags(uri, release_name(name), pick.version)["eval_run_id"]
    recorded: dict[tuple[str, str], str] = {}
    for run in client.search_runs([client.get_run(parent).info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent}'"):
        arm = run.data.tags.get("ragvsft.arm")
        if arm in MODES:
            for row in read_answers(run.info.artifact_uri):
                recorded[(row["question"], arm)] = row["answer"]
    jobs = sorted(recorded, key=lambda job: (job[1], job[0]))
    with Served(experiment) as server:
        results, _ = asyncio.run(drive(server.url, jobs, 8))
    print("\n| mode | questions | served = recorded | agreement |\n|---|---|---|---|")
    for mode in MODES:
        rows = [r for r in results if r["mode"] == mode]
        same = sum(r["body"].get("answer") == recorded[(r["question"], mode)] for r in rows)
        print(f"| {mode} | {len(rows)} | {same} | {same / max(len(rows), 1):.1%} |")
    same = sum(r["body"].get("answer") == recorded[(r["question"], r["mode"])] for r in results)
    print(f"| all | {len(results)} | {same} | **{same / len(results):.1%}** |")


def part_latency(experiment: Path, per_mode: int) -> None:
    qs = questions(experiment)
    with Served(experiment) as server:
        asyncio.run(drive(server.url, mixed(qs, 4), 1))  # warm-up
        print("\n| mode | requests (1 client) | p50 ms | p95 ms |\n|---|---|---|---|")
        for mode in MODES:
            results, _ = asyncio.run(drive(server.url, [(q, mode) for q in qs[:per_mode]], 1))
            ms = [r["s"] * 1000 for r in results]
            print(f"| {mode} | {len(ms)} | {statistics.median(ms):,.0f} | {percentile(ms, 95):,.0f} |", flush=True)


def part_throughput(experiment: Path, requests: int, clients: Sequence[int], batch_sizes: Sequence[int]) -> None:
    """Answers/s with micro-batching at each ``serve.max_batch_size`` in ``batch_sizes`` and off (1), one server
    each; a size above the number of clients cannot fill, so it is measured only where the clients can."""
    qs = questions(experiment)
    print("\n| traffic | clients | batching | requests | errors | answers/s | p50 ms | p95 ms | server cores busy | ratio |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for traffic, modes in TRAFFIC.items():
        for n in clients:
            rates = {}
            for label, batch in [(f"on ({b})", b) for b in batch_sizes if b <= n] + [("off", 1)]:
                with Served(experiment, f"serve.max_batch_size={batch}") as server:
                    asyncio.run(drive(server.url, mixed(qs, 4, modes), 1))  # warm-up
                    cpu = server.cpu_seconds()
                    results, seconds = asyncio.run(drive(server.url, mixed(qs, requests, modes), n))
                    # Below the machine's cores while batches run, the server is waiting on something (it once
                    # was: ragvsft.serve.passing_thread).
                    busy = (server.cpu_seconds() - cpu) / seconds
                ms = [r["s"] * 1000 for r in results]
                errors = sum(r["status"] != 200 for r in results)
                rates[label] = len(results) / seconds
                print(f"| {traffic} | {n} | {label} | {len(results)} | {errors} | {rates[label]:.2f} | "
                      f"{statistics.median(ms):,.0f} | {percentile(ms, 95):,.0f} | {busy:.2f} of {os.cpu_count()} | |",
                      flush=True)
            for label in [label for label in rates if label != "off"]:
                print(f"| {traffic} | {n} | {label} / off | | | | | | | **{rates[label] / rates['off']:.2f}x** |")


def part_memory(experiment: Path) -> None:
    """RSS of one server after answering in all four modes, against one process per mode, each loading only what
    its mode needs (the one-model-per-server way)."""
    qs = questions(experiment)
    with Served(experiment) as server:
        asyncio.run(drive(server.url, mixed(qs, 8), 4))
        ours = server.rss_mb()
    singles = {}
    for mode in MODES:
        out = subprocess.run([sys.executable, __file__, str(experiment), "--single-mode", mode, *set_flags(SETTINGS)],
                             capture_output=True, text=True, check=True)
        singles[mode] = json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"]
    biggest = max(singles.values())
    print("\n| process | RSS MB |\n|---|---|")
    for mode, mb in singles.items():
        print(f"| one process serving only {mode} | {mb:,.0f} |")
    print(f"| four processes, one per mode (sum) | {sum(singles.values()):,.0f} |")
    print(f"| **ragvsft serve, all four modes** | **{ours:,.0f}** ({ours / biggest:.2f}x the largest single process, "
          f"{ours / sum(singles.values()):.2f}x the four) |")


def single_mode(experiment: Path, mode: str) -> None:
    """Child of part_memory: load what ``mode`` needs, answer one question, print the RSS."""
    from peft import PeftModel

    from ragvsft import tracking
    from ragvsft.arms import ARMS
    from ragvsft.builders import build_embedder
    from ragvsft.config import load_config
    from ragvsft.corpus import corpus_name
    from ragvsft.evaluation import Arm, answer, retrieve_all
    from ragvsft.generators import HFGenerator
    from ragvsft.indexing import load_index_version
    from ragvsft.models import load_lm
    from ragvsft.qa import QAPair
    from ragvsft.releases import served_release
    from ragvsft.retriever import DenseRetriever

    config, uri = load_config(experiment, SETTINGS), tracking.tracking_uri()
    name, cache = corpus_name(config.corpus), config.model.cache_dir / "registry"
    pick = served_release(uri, name)
    # As the server loads it (dtype, packed weights): the comparison is one process per mode, not another precision.
    lm = load_lm(config.model.base_model, cache_dir=config.model.cache_dir, device=config.model.device,
                 dtype=config.model.dtype)
    net = None
    if ARMS[mode].adapter:
        folder = tracking.resolve_version(uri, tracking.registered_name(name, "adapter"), pick.adapter_version, cache).path
        net = PeftModel.from_pretrained(lm.model, str(folder)).eval()
    contexts = None
    qa = QAPair("q", questions(experiment)[0], "", (), "eval", ())
    if ARMS[mode].context == "retrieved":
        folder = tracking.resolve_version(uri, tracking.registered_name(name, "index"), pick.index_version, cache).path
        embedder = build_embedder(config.index)
        store, _ = load_index_version(folder, expected_embedder=embedder.identity, hnsw_ef_search=64)
        contexts = retrieve_all(DenseRetriever(embedder, store), [qa], config.index.top_k)
    generator = HFGenerator.from_loaded(lm, adapter_model=net, pack_weights=config.model.pack_weights)
    answer(Arm(ARMS[mode], generator), [qa], config.prompt, contexts=contexts, max_new_tokens=24, stop=["\n"])
    print(json.dumps({"mode": mode, "rss_mb": psutil.Process().memory_info().rss / 2**20}))


def part_soak(experiment: Path, minutes: float, clients: int) -> None:
    """Mixed modes from ``clients`` clients for ``minutes``; halfway, a new adapter version is registered and
    promoted, and the server must reload it without one failed request."""
    from ragvsft import tracking
    from ragvsft.config import load_config
    from ragvsft.corpus import corpus_name
    from ragvsft.corpus_state import CorpusState
    from ragvsft.releases import promote, register_release, served_release

    config, uri = load_config(experiment, SETTINGS), tracking.tracking_uri()
    name = corpus_name(config.corpus)
    qs = questions(experiment)
    with Served(experiment, "serve.poll_s=2") as server:
        asyncio.run(drive(server.url, mixed(qs, 4), 1))
        rss = [server.rss_mb()]
        results: list[dict] = []
        deadline, reloaded = time.time() + minutes * 60, False
        while time.time() < deadline:
            chunk, _ = asyncio.run(drive(server.url, mixed(qs[len(results) % len(qs):] + qs, clients * 4), clients))
            results += chunk
            rss.append(server.rss_mb())
            if not reloaded and time.time() > deadline - minutes * 30:
                # A "new" adapter: the same files registered again get a new version, hence a new identity.
                pick = served_release(uri, name)
                adapter = tracking.registered_name(name, "adapter")
                import mlflow

                current = mlflow.MlflowClient(uri).get_model_version(adapter, pick.adapter_version)
                version = tracking.register_version(uri, name=adapter, source=current.source, run_id=current.run_id,
                                                    description="soak-test reload", alias="challenger",
                                                    tags=dict(current.tags))
                with tracking.run(uri=uri, experiment=tracking.experiment_name(name), name="soak-reload",
                                  description="soak-test reload") as logged:
                    record = register_release(uri, name, index_version=pick.index_version, adapter_version=version,
                                              state=CorpusState({}, {}), examples=(), logger=logged)  # no few-shot
                promote(uri, name, version=record.version)
                reloaded = True
        errors = sum(r["status"] != 200 for r in results)
        versions = {json.dumps(r["body"].get("versions"), sort_keys=True) for r in results if r["status"] == 200}
    ms = [r["s"] * 1000 for r in results]
    print(f"\n| soak ({minutes:g} min, {clients} clients, mixed modes, one hot reload) | value |\n|---|---|")
    print(f"| requests | {len(results)} |\n| errors | **{errors}** |\n| answers/s | {len(results) / (minutes * 60):.2f} |")
    print(f"| p50 / p95 ms | {statistics.median(ms):,.0f} / {percentile(ms, 95):,.0f} |")
    print(f"| version pairs served | {len(versions)} (before and after the reload) |")
    print(f"| RSS MB at start / end / max | {rss[0]:,.0f} / {rss[-1]:,.0f} / {max(rss):,.0f} |")


def part_abandon(experiment: Path, clients: int, give_up_s: float = 1.0, max_tokens: int = 256) -> None:
    """``clients`` clients ask closed-book questions with a budget of ``max_tokens``; one more client asks
    ``give_up_s`` later: its wait. Once while the first clients wait for their answers (the work the server did
    before for clients that had gone away: every row decoded to its end), once with them giving up at
    ``give_up_s`` (closing the connection, as a client's timeout does), when the server drops their rows."""
    qs = questions(experiment)
    headers = {"Authorization": f"Bearer {KEY}"}

    async def scenario(url: str, give_up: bool) -> float:
        async def ask(question: str, timeout: float | None) -> None:
            async with httpx.AsyncClient(base_url=url, timeout=timeout, headers=headers) as http:
                try:
                    await http.post("/v1/ask", json={"question": question, "mode": "base", "max_new_tokens": max_tokens})
                except httpx.TimeoutException:
                    pass

        first = [asyncio.create_task(ask(q, give_up_s if give_up else 600)) for q in qs[:clients]]
        await asyncio.sleep(give_up_s + 0.2)
        started = time.perf_counter()
        await ask(qs[clients], 600)
        waited = time.perf_counter() - started
        await asyncio.gather(*first)
        return waited

    print(f"\n| the first {clients} clients (closed book, {max_tokens} new tokens at most) | the next request waits, s |"
          "\n|---|---|")
    with Served(experiment, f"serve.max_batch_size={clients}") as server:
        asyncio.run(drive(server.url, mixed(qs, 4), 1))  # warm-up
        for give_up, label in ((False, "wait for their answers (as before: rows of clients gone decoded on)"),
                               (True, f"give up after {give_up_s:g} s (their rows dropped)")):
            print(f"| {label} | {asyncio.run(scenario(server.url, give_up)):.2f} |", flush=True)
        dropped = [line for line in httpx.get(f"{server.url}/metrics", headers=headers).text.splitlines()
                   if line.startswith("ragvsft_abandoned_total")]
    print(f"| dropped (/metrics) | {'; '.join(dropped) or 'none'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", type=Path, nargs="?", default=ROOT / "experiments" / "demo.toml")
    parser.add_argument("--parts", default="agreement,latency,throughput,memory,soak,abandon")
    parser.add_argument("--per-mode", type=int, default=12, help="requests per mode at 1 client")
    parser.add_argument("--requests", type=int, default=64, help="requests per throughput measurement")
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--batch-sizes", default="8", help="serve.max_batch_size values to measure against off")
    parser.add_argument("--soak-minutes", type=float, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an experiment setting for every server started, e.g. model.pack_weights=false")
    parser.add_argument("--single-mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    SETTINGS.extend(args.set)
    if args.single_mode:
        single_mode(args.experiment, args.single_mode)
        return
    parts = args.parts.split(",")
    if "agreement" in parts:
        part_agreement(args.experiment)
    if "latency" in parts:
        part_latency(args.experiment, args.per_mode)
    if "throughput" in parts:
        part_throughput(args.experiment, args.requests, [int(c) for c in args.clients.split(",")],
                        [int(b) for b in args.batch_sizes.split(",")])
    if "memory" in parts:
        part_memory(args.experiment)
    if "soak" in parts:
        part_soak(args.experiment, args.soak_minutes, 8)
    if "abandon" in parts:
        part_abandon(args.experiment, 8)


if __name__ == "__main__":
    main()
