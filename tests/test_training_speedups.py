"""What makes a training step cheaper without changing what it computes: LoRA dropout drawn cheaply
(ragvsft.finetune.lora_dropout), the chunked LM-head loss (ragvsft.finetune.head_loss) and the heap policy
(ragvsft.finetune.memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model
from torch import nn

from ragvsft.finetune import LoraSettings, head_loss, memory
from ragvsft.finetune import lora as lora_module
from ragvsft.finetune.data import closed_book_examples
from ragvsft.finetune.lora import train_lora
from ragvsft.finetune.lora_dropout import DroppedLinear, _DroppedLinear, cheap_lora_dropout, keep_mask
from ragvsft.models import load_lm
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def saved_bytes(fn) -> int:
    """Bytes of distinct tensor storage autograd keeps for backward while ``fn`` runs (parameters excluded)."""
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        if not isinstance(t, nn.Parameter):
            storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(storages.values())


# --- LoRA dropout ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5])
def test_keep_mask_keeps_one_minus_p_and_follows_the_seed(p: float) -> None:
    torch.manual_seed(0)
    mask = keep_mask((1000, 1001), p)  # odd count: the last int32 word is half used
    assert mask.dtype == torch.bool and mask.shape == (1000, 1001)
    assert abs(mask.float().mean().item() - (1 - p)) < 0.002  # 1e6 draws: the standard error is < 5e-4
    assert abs(mask[:, 0].float().mean().item() - (1 - p)) < 0.08  # no column is special (both 16-bit halves)
    torch.manual_seed(0)
    assert torch.equal(keep_mask((1000, 1001), p), mask)
    assert not torch.equal(keep_mask((1000, 1001), p), mask)  # the stream moved on
    assert keep_mask((50, 50), 0.0).all()


def test_dropped_linear_gradients_equal_dropout_then_linear() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 6, 10, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, 10, dtype=torch.float64, requires_grad=True)
    keep, p = keep_mask(x.shape, 0.25), 0.25
    ours = _DroppedLinear.apply(x, weight, keep, 1 / (1 - p))
    reference = F.linear(x * keep / (1 - p), weight)
    assert torch.allclose(ours, reference)
    upstream = torch.randn_like(reference)
    grads = torch.autograd.grad(ours, (x, weight), upstream)
    expected = torch.autograd.grad(reference, (x, weight), upstream)
    assert all(torch.allclose(a, b) for a, b in zip(grads, expected, strict=True))


def test_dropped_linear_keeps_about_half_of_what_dropout_and_linear_keep() -> None:
    x = torch.randn(64, 256, requires_grad=True) * 1  # a non-leaf input, as inside a model
    linear = nn.Linear(256, 16, bias=False)
    peft_way = saved_bytes(lambda: linear(nn.Dropout(0.1)(x)))
    ours = saved_bytes(lambda: DroppedLinear(linear, 0.1).train()(x))
    # PEFT: a mask + the dropped input (9 bytes an element); ours: the input + a 1-byte mask (5), and the input
    # is the one the layer's other projections keep anyway.
    assert peft_way >= 8 * x.numel() and ours == 5 * x.numel()


def tiny_peft(tiny_lm_dir: Path, tmp_path: Path, dropout: float):
    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, dtype="float32")
    return get_peft_model(lm.model, LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=dropout,
                                               target_modules=TARGETS))


def test_swap_covers_every_lora_layer_and_puts_peft_back(tiny_lm_dir: Path, tmp_path: Path) -> None:
    model = tiny_peft(tiny_lm_dir, tmp_path, 0.1)
    layers = [m for m in model.modules() if hasattr(m, "lora_dropout")]
    before = [(m.lora_A["default"], m.lora_dropout["default"]) for m in layers]
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    model.eval()
    with torch.no_grad():
        reference = model(input_ids=ids).logits
    with cheap_lora_dropout(model) as swapped:
        assert swapped == len(layers) == 2 * len(TARGETS)  # the tiny model's 2 layers
        assert all(isinstance(m.lora_A["default"], DroppedLinear) for m in layers)
        with torch.no_grad():
            assert torch.equal(model(input_ids=ids).logits, reference)  # eval mode: no dropout, same numbers
        model.train()
        model(input_ids=ids).logits.sum().backward()
    assert [(m.lora_A["default"], m.lora_dropout["default"]) for m in layers] == before
    assert all(m.lora_A["default"].weight.grad is not None for m in layers)  # the trained weights are PEFT's
    assert all(m.lora_A["default"].training for m in layers)  # the mode set inside carries over
    with cheap_lora_dropout(tiny_peft(tiny_lm_dir, tmp_path, 0.0)) as swapped:
        assert swapped == 0  # no dropout: PEFT's Identity stays


def test_training_with_dropout_is_seeded_and_leaves_peft_modules(tiny_lm_dir: Path, tmp_path: Path) -> None:
    pairs = [QAPair(f"q{n}", f"What is item {n}?", f"item {n} is blue", (), "train", ()) for n in range(6)]
    examples = closed_book_examples(pairs, PromptTemplate(system=""))
    settings = LoraSettings(rank=4, alpha=8, dropout=0.2, learning_rate=1e-2, epochs=3, batch_size=3)
    runs = [train_lora(load_lm(str(tiny_lm_dir), cache_dir=tmp_path), examples, settings, seed=s, torch_threads=1)
            for s in (3, 3)]
    assert runs[0].losses == runs[1].losses
    assert runs[0].losses[-1] < runs[0].losses[0]
    dropouts = [m.lora_dropout["default"] for m in runs[0].model.modules() if hasattr(m, "lora_dropout")]
    assert dropouts and all(type(d) is nn.Dropout and d.p == 0.2 for d in dropouts)


# --- the chunked LM-head loss ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [False, True])
def test_head_cross_entropy_equals_logits_then_cross_entropy(bias: bool, monkeypatch) -> None:
    torch.manual_seed(0)
    monkeypatch.setattr(head_loss, "CHUNK_FLOATS", 4 * 50)  # 4 rows a chunk: 23 rows make 6 chunks, the last short
    rows = torch.randn(23, 8, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(50, 8, dtype=torch.float64)
    b = torch.randn(50, dtype=torch.float64) if bias else None
    targets = torch.randint(0, 50, (23,))
    ours = head_loss._HeadCrossEntropy.apply(rows, weight, b, targets)
    reference = F.cross_entropy(F.linear(rows, weight, b), targets)
    assert torch.allclose(ours, reference)
    (ours * 3).backward()
    ours_grad = rows.grad.clone()
    rows.grad = None
    (reference * 3).backward()
    assert torch.allclose(ours_grad, rows.grad)
    with torch.no_grad():  # no gradient wanted: the loss alone
        assert torch.allclose(head_loss._HeadCrossEntropy.apply(rows, weight, b, targets), reference)


def test_chunked_head_only_where_logits_are_the_head_alone(tiny_lm_dir: Path, tmp_path: Path) -> None:
    model = tiny_peft(tiny_lm_dir, tmp_path, 0.0)
    assert head_loss.chunked_head_supported(model)
    model.get_base_model().config.model_type = "gemma2"  # soft-caps its logits after the head
    assert not head_loss.chunked_head_supported(model)
    with_head = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, dtype="float32").model
    with_head = get_peft_model(with_head, LoraConfig(task_type="CAUSAL_LM", r=4, target_modules=[*TARGETS, "lm_head"]))
    assert not head_loss.chunked_head_supported(with_head)  # the head trains: transformers' loss


# --- the heap: bounded while there is room, lean past a share of the machine ----------------------------------------


@pytest.fixture
def heap_calls(monkeypatch) -> list[str]:
    """The heap settings a guard asks for, recorded instead of made (they last for the life of a process)."""
    calls: list[str] = []
    for name in ("bounded", "lean", "restored"):
        setting = "restore_heap" if name == "restored" else f"make_heap_{name}"
        monkeypatch.setattr(memory, setting, lambda name=name: calls.append(name) or True)
    return calls


def test_heap_guard_bounds_the_heap_turns_lean_once_past_its_share_and_restores_it(monkeypatch,
                                                                                   heap_calls: list[str]) -> None:
    resident = iter([1_000, 1_400, 1_600, 1_700])  # at the start, then one value per check
    monkeypatch.setattr(memory, "resident_bytes", lambda: next(resident))
    monkeypatch.setattr(memory, "available_bytes", lambda: 1_000)
    with memory.HeapGuard(0.5) as guard:
        assert guard.limit == 1_000 + 0.5 * 1_000 and heap_calls == ["bounded"] and not guard.lean
        assert [guard.check(), guard.check(), guard.check()] == [False, True, False]  # 1,400 within; 1,600 past; once
        assert guard.lean and heap_calls == ["bounded", "lean"]
    assert heap_calls == ["bounded", "lean", "restored"]


def test_heap_guard_only_bounds_where_memory_cannot_be_read(monkeypatch, heap_calls: list[str]) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda: None)
    with memory.HeapGuard(0.5) as guard:
        assert guard.limit is None and not guard.check() and not guard.lean
    assert heap_calls == ["bounded", "restored"]


def test_glibc_keeps_its_own_heap_unless_bounded(heap_calls: list[str]) -> None:
    with memory.HeapGuard(0.5, bounded=False) as guard:
        assert not guard.lean
    assert heap_calls == ["restored"]


def test_a_zero_share_is_lean_from_the_start_and_restored_after_a_failure(heap_calls: list[str]) -> None:
    with pytest.raises(RuntimeError), memory.HeapGuard(0.0) as guard:
        assert guard.lean
        raise RuntimeError("a step failed")
    assert heap_calls == ["lean", "restored"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize("setting", ["make_heap_bounded", "make_heap_lean", "restore_heap"])
def test_the_heap_settings_take_in_a_fresh_process(setting: str) -> None:
    # In its own process: a setting lasts for the life of a process. A block just under the threshold comes from
    # the heap (the [heap] region of /proc/self/maps) and one at it gets its own mapping, outside that region.
    size = {"make_heap_bounded": memory.BOUNDED_BLOCK_BYTES, "make_heap_lean": memory.LEAN_BLOCK_BYTES,
            "restore_heap": memory.GLIBC_MMAP_THRESHOLD_MAX}[setting]
    code = (f"import ctypes\nfrom ragvsft.finetune.memory import {setting}, resident_bytes, available_bytes\n"
            "libc = ctypes.CDLL('libc.so.6'); libc.malloc.restype = ctypes.c_void_p\n"
            f"took = {setting}()\n"
            f"small, large = libc.malloc({size} - 65536), libc.malloc({size})\n"
            "line = next(x for x in open('/proc/self/maps') if x.rstrip().endswith('[heap]'))\n"
            "low, high = (int(a, 16) for a in line.split()[0].split('-'))\n"
            "print(took, low <= small < high, not low <= large < high, resident_bytes() > 0, available_bytes() > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["True"] * 5


def test_training_reports_when_the_heap_turned_lean(tiny_lm_dir: Path, tmp_path: Path, monkeypatch) -> None:
    class LeanAfterStep2(memory.HeapGuard):
        def check(self) -> bool:
            self.calls = getattr(self, "calls", 0) + 1
            return self.calls == 2

    examples = closed_book_examples([QAPair(f"q{n}", f"Q{n}?", f"A{n}", (), "train", ()) for n in range(6)],
                                    PromptTemplate(system=""))
    settings = LoraSettings(rank=4, alpha=8, epochs=2, batch_size=3)
    assert train_lora(load_lm(str(tiny_lm_dir), cache_dir=tmp_path), examples, settings).lean_heap_from_step == 0
    monkeypatch.setattr(lora_module, "HeapGuard", LeanAfterStep2)
    assert train_lora(load_lm(str(tiny_lm_dir), cache_dir=tmp_path), examples, settings).lean_heap_from_step == 3


def test_checkpointing_redraws_the_same_dropout_masks(tiny_lm_dir: Path, tmp_path: Path) -> None:
    # Recomputed activations must see the masks of the first pass, or the gradients would be silently wrong.
    pairs = [QAPair(f"q{n}", f"What is item {n}?", f"item {n} is blue", (), "train", ()) for n in range(6)]
    examples = closed_book_examples(pairs, PromptTemplate(system=""))
    runs = []
    for checkpointing in ("off", "on"):
        settings = LoraSettings(rank=4, alpha=8, dropout=0.3, learning_rate=1e-2, epochs=2, batch_size=3,
                                gradient_checkpointing=checkpointing)
        result = train_lora(load_lm(str(tiny_lm_dir), cache_dir=tmp_path, dtype="float32"), examples, settings,
                            seed=1, torch_threads=1)
        runs.append((result.losses, {n: p.detach().clone() for n, p in result.model.named_parameters()
                                     if "lora_" in n}))
    (plain_losses, plain), (ckpt_losses, ckpt) = runs
    assert ckpt_losses == pytest.approx(plain_losses, rel=1e-5)
    assert max(float((plain[n] - ckpt[n]).abs().max()) for n in plain) < 1e-5
