"""Fine-tuning: data recipes, label masking, the answer-only loss, real LoRA training, adapter save/reload."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from ragvsft.chunking import Chunk
from ragvsft.errors import RagvsftError
from ragvsft.finetune import LoraSettings, head_loss
from ragvsft.finetune import lora as lora_module
from ragvsft.finetune.adapter import META_FILE, check_adapter_base, load_adapter, load_adapter_meta, save_adapter
from ragvsft.finetune.data import RECIPES, TrainExample, closed_book_examples, raft_examples
from ragvsft.finetune.lora import StepInfo, batch_indices, causal_lm_loss, train_lora
from ragvsft.finetune.tokenize import IGNORE_INDEX, collate, encode_example
from ragvsft.lexical import BM25Retriever
from ragvsft.models import LoadedLM, load_lm
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair

FACTS = [
    ("How long is parental leave?", "22 weeks"), ("Who gets leave requests?", "Ines Marlow"),
    ("Where is travel booked?", "Tripdesk"), ("What class are short flights?", "economy"),
    ("What is the X-200 maximum pressure?", "14 bar"), ("What does error E17 mean?", "seal failed"),
    ("Which company is this?", "Orvane Instruments"), ("How many hours is a short flight?", "6 hours"),
]
PAIRS = [QAPair(f"q{n}", q, a, (), "train", ()) for n, (q, a) in enumerate(FACTS)]
# No system message: with a 32-wide random model, a long shared prefix drowns the question for a few dozen steps.
TEMPLATE = PromptTemplate(system="")
# lm_head in the targets: the tiny model's frozen random head cannot produce confident logits on its own.
TINY = LoraSettings(rank=16, alpha=32, dropout=0.0, learning_rate=1e-2, epochs=60, batch_size=8, warmup_ratio=0.0,
                    target_modules=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Two shared cores: two OpenMP threads fighting other processes make a 10 ms step take a second.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def fresh_lm(folder: Path, tmp: Path) -> LoadedLM:
    return load_lm(str(folder), cache_dir=tmp)  # a new model each time: PEFT injects adapters in place


@pytest.fixture(scope="module")
def trained(tiny_lm_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    lm = fresh_lm(tiny_lm_dir, tmp_path_factory.mktemp("cache"))
    steps: list[StepInfo] = []
    result = train_lora(lm, closed_book_examples(PAIRS, TEMPLATE), TINY, on_step=steps.append, torch_threads=1)
    return lm, result, steps


# --- tokenization ---------------------------------------------------------------------------------------------------


def test_labels_are_ignored_exactly_on_prompt_tokens(tiny_lm_dir: Path, tmp_path: Path) -> None:
    tok = fresh_lm(tiny_lm_dir, tmp_path).tokenizer
    example = closed_book_examples(PAIRS[:1], PromptTemplate())[0]
    enc = encode_example(tok, example, max_length=384)
    prompt = tok.apply_chat_template(example.messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]

    n_prompt = len(prompt_ids)
    assert list(enc.input_ids[:n_prompt]) == prompt_ids  # the exact prompt the model sees when answering
    assert enc.labels[:n_prompt] == (IGNORE_INDEX,) * n_prompt
    assert enc.labels[n_prompt:] == enc.input_ids[n_prompt:]
    assert tok.decode(enc.labels[n_prompt:]) == "22 weeks<|im_end|>"
    assert enc.answer_tokens == len(enc.input_ids) - n_prompt and not enc.truncated


def test_long_prompt_is_cut_from_the_left_and_keeps_the_answer(tiny_lm_dir: Path, tmp_path: Path) -> None:
    tok = fresh_lm(tiny_lm_dir, tmp_path).tokenizer
    example = TrainExample("x", PromptTemplate().messages(FACTS[0][0], ["Parental leave is 22 weeks. " * 40]), "22 weeks")
    full = encode_example(tok, example, max_length=4096)
    cut = encode_example(tok, example, max_length=64)

    assert len(full.input_ids) > 64 and not full.truncated
    assert cut.truncated and len(cut.input_ids) == 64
    assert cut.input_ids == full.input_ids[-64:] and cut.labels == full.labels[-64:]
    assert tok.decode([t for t in cut.labels if t != IGNORE_INDEX]) == "22 weeks<|im_end|>"
    with pytest.raises(RagvsftError, match="too long for max_length=3"):
        encode_example(tok, example, max_length=3)


def test_collate_pads_right_with_ignored_labels() -> None:
    from ragvsft.finetune.tokenize import EncodedExample

    batch = collate([EncodedExample("a", (5, 6, 7), (-100, 6, 7), False), EncodedExample("b", (5, 8), (-100, 8), False)],
                    pad_token_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 8, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [-100, 8, -100]]


# --- data recipes ---------------------------------------------------------------------------------------------------

N_WIDGETS = 200


def widget_world() -> tuple[list[QAPair], BM25Retriever]:
    """200 widgets, each with a two-chunk source document; only the first chunk holds the answer."""
    chunks, pairs = [], []
    for n in range(N_WIDGETS):
        doc = f"widgets/w{n}.md"
        chunks += [Chunk(f"{doc}#0", doc, f"Widget w{n} has serial code s{n}x.", 0),
                   Chunk(f"{doc}#1", doc, f"Widget w{n} ships in a blue box.", 40)]
        pairs.append(QAPair(f"w{n}", f"What is the serial code of widget w{n}?", f"s{n}x", (doc,), "train", ()))
    return pairs, BM25Retriever(chunks)


def has_gold(example: TrainExample, pair: QAPair) -> bool:
    return any(cid.split("#")[0] in pair.sources for cid in example.passage_ids)


def test_raft_gold_fraction_and_distractors() -> None:
    pairs, retriever = widget_world()
    examples = raft_examples(pairs, TEMPLATE, retriever=retriever, k=3, gold_fraction=0.8, seed=0)

    with_gold = [has_gold(e, p) for e, p in zip(examples, pairs)]
    assert abs(sum(with_gold) - 0.8 * N_WIDGETS) <= 16  # 2.8 sigma of Binomial(200, 0.8)
    for example, pair, gold in zip(examples, pairs, with_gold):
        assert len(example.passage_ids) == 3 and len(set(example.passage_ids)) == 3
        golds = [c for c in example.passage_ids if c.split("#")[0] in pair.sources]
        assert len(golds) == (1 if gold else 0)
        assert (pair.answer in example.messages[-1]["content"]) == (golds == [f"widgets/{pair.id}.md#0"])
        assert example.answer == pair.answer and example.id == f"{pair.id}:raft"
    # The gold passage moves around, or the model would learn "the answer is in [1]".
    positions = {[c.split("#")[0] in p.sources for c in e.passage_ids].index(True)
                 for e, p, g in zip(examples, pairs, with_gold) if g}
    assert positions == {0, 1, 2}


def test_raft_distractors_are_no_copies_of_the_gold_passage() -> None:
    # Every widget's document saved twice ("Copy of ..."): the copy's first chunk holds the answer word for word.
    pairs, retriever = widget_world()
    copies = [Chunk(c.id.replace(".md", " (copy).md"), c.doc_id.replace(".md", " (copy).md"), c.text, c.start_char)
              for c in retriever.chunks]
    examples = raft_examples(pairs, TEMPLATE, retriever=BM25Retriever(retriever.chunks + copies), k=3,
                             gold_fraction=0.5, seed=0)
    for example, pair in zip(examples, pairs):
        passages = example.messages[-1]["content"]
        golds = [c for c in example.passage_ids if c.split("#")[0] in pair.sources]
        assert passages.count(f"serial code {pair.answer}.") == len(golds) <= 1
        assert len(example.passage_ids) == 3


def test_raft_is_seeded_and_prompts_match_the_template() -> None:
    pairs, retriever = widget_world()
    run = lambda seed: raft_examples(pairs, TEMPLATE, retriever=retriever, k=3, gold_fraction=0.8, seed=seed)  # noqa: E731
    first, again, other = run(0), run(0), run(1)

    assert first == again
    assert [has_gold(e, p) for e, p in zip(first, pairs)] != [has_gold(e, p) for e, p in zip(other, pairs)]
    texts = {c.id: c.text for c in retriever.chunks}
    assert all(e.messages == TEMPLATE.messages(p.question, [texts[c] for c in e.passage_ids]) for e, p in zip(first, pairs))
    # Each pair has its own random stream: dropping pairs changes nobody else's passages.
    assert raft_examples(pairs[50:], TEMPLATE, retriever=retriever, k=3, gold_fraction=0.8, seed=0) == first[50:]


def test_raft_edge_fractions_and_pairs_without_sources() -> None:
    pairs, retriever = widget_world()
    always = raft_examples(pairs[:40], TEMPLATE, retriever=retriever, k=2, gold_fraction=1.0, seed=0)
    never = raft_examples(pairs[:40], TEMPLATE, retriever=retriever, k=2, gold_fraction=0.0, seed=0)
    assert all(has_gold(e, p) for e, p in zip(always, pairs)) and not any(has_gold(e, p) for e, p in zip(never, pairs))

    unsourced = [QAPair("u", "What is the serial code of widget w7?", "s7x", (), "train", ())]
    (example,) = raft_examples(unsourced, TEMPLATE, retriever=retriever, k=3, gold_fraction=0.8, seed=0)
    assert len(example.passage_ids) == 3  # top chunks as retrieved, none labelled gold


def test_recipes_share_one_signature() -> None:
    pairs, retriever = widget_world()
    closed = RECIPES["closed_book"](pairs[:2], TEMPLATE, retriever=retriever, k=3, gold_fraction=0.8, seed=0)
    assert closed == [TrainExample(f"{p.id}:closed_book", TEMPLATE.messages(p.question), p.answer) for p in pairs[:2]]
    with pytest.raises(RagvsftError, match="needs a retriever"):
        RECIPES["raft"](pairs[:2], TEMPLATE, retriever=None, k=3, gold_fraction=0.8, seed=0)


# --- the answer-only loss -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("head", ["answer", "chunked"])
def test_answer_only_loss_equals_the_hugging_face_loss(tiny_lm_dir: Path, tmp_path: Path, monkeypatch,
                                                       head: str) -> None:
    lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, dtype="float32")  # exact math, on a GPU too
    passages = ["Parental leave at Orvane Instruments is 22 weeks.", "Travel is booked through Tripdesk."]
    examples = closed_book_examples(PAIRS[:3], TEMPLATE) + [
        TrainExample(f"r{n}", PromptTemplate().messages(q, passages[: n + 1]), a) for n, (q, a) in enumerate(FACTS[3:5])]
    encoded = [encode_example(lm.tokenizer, e, max_length=384) for e in examples]
    device = lm.model.device
    batch = {k: v.to(device) for k, v in collate(encoded, pad_token_id=lm.tokenizer.pad_token_id).items()}
    assert len({len(e.input_ids) for e in encoded}) > 1  # padding is exercised

    model = lm.model
    if not lora_module.answer_only_logits_supported(model):  # transformers 5.17 (the GPU image's): full logits
        pytest.skip("this transformers cannot compute logits for the answer tokens only; training uses all of them")
    if head == "chunked":
        assert not head_loss.chunked_head_supported(model)  # a head that trains keeps transformers' loss
        model.requires_grad_(False)
        model.model.layers[0].self_attn.q_proj.weight.requires_grad_(True)  # a gradient to compare below
        assert head_loss.chunked_head_supported(model)  # a llama with a plain, frozen head
        monkeypatch.setattr(head_loss, "CHUNK_FLOATS", 3 * model.config.vocab_size)  # 3 rows a chunk: several
    ours = causal_lm_loss(model, batch, head=head)
    ours.backward()
    our_grad = model.model.layers[0].self_attn.q_proj.weight.grad.clone()
    model.zero_grad()
    reference = model(**batch).loss  # Hugging Face's own shift + cross-entropy over full logits
    reference.backward()

    assert abs(ours.item() - reference.item()) < 1e-5
    assert torch.allclose(our_grad, model.model.layers[0].self_attn.q_proj.weight.grad, atol=1e-6)
    # And without padding, one example at a time, weighted by answer tokens.
    with torch.no_grad():
        per_example = [(model(**{k: v.to(device) for k, v in collate([e], pad_token_id=0).items()}).loss.item(),
                        e.answer_tokens) for e in encoded]
    weighted = sum(loss * n for loss, n in per_example) / sum(n for _, n in per_example)
    assert abs(ours.item() - weighted) < 1e-5


# --- training ------------------------------------------------------------------------------------------------------


def test_training_learns_the_answers(trained) -> None:
    lm, result, steps = trained
    tok = lm.tokenizer
    assert len(result.losses) == 60 and result.losses[-1] < 0.1 * result.losses[0]
    for question, answer in FACTS:
        prompt = tok.apply_chat_template(TEMPLATE.messages(question), add_generation_prompt=True, tokenize=False)
        ids = tok(prompt, add_special_tokens=False, return_tensors="pt")
        with torch.no_grad():
            out = result.model.generate(**ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
        assert tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True) == answer


def test_training_reports_what_it_did(trained) -> None:
    lm, result, steps = trained
    trainable, total = result.model.get_nb_trainable_parameters()
    assert result.trainable_params == trainable and result.total_params == total and trainable < total
    assert [s.step for s in steps] == list(range(1, 61)) and {s.total_steps for s in steps} == {60}
    assert [s.loss for s in steps] == result.losses and steps[-1].epoch == 60
    encoded = [encode_example(lm.tokenizer, e, max_length=TINY.max_length) for e in closed_book_examples(PAIRS, TEMPLATE)]
    assert result.train_tokens == steps[-1].tokens == 60 * sum(len(e.input_ids) for e in encoded)
    assert result.answer_tokens == 60 * sum(e.answer_tokens for e in encoded)
    assert result.truncated_examples == 0
    assert result.tokens_per_s == pytest.approx(result.train_tokens / result.wall_s)
    assert not result.model.training


def test_length_grouping_cuts_padding_and_keeps_every_example_once() -> None:
    import random

    lengths = [random.Random(n).choice([80, 90, 300, 380]) for n in range(200)]
    padded = {}
    for grouped in (False, True):
        batches = batch_indices(lengths, 8, rng=random.Random(0), group_by_length=grouped)
        assert sorted(i for b in batches for i in b) == list(range(200)) and all(len(b) == 8 for b in batches)
        padded[grouped] = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded[True] < 0.7 * padded[False]
    assert batch_indices(lengths, 8, rng=random.Random(0), group_by_length=True) == batches  # seeded
    assert batch_indices(lengths, 8, rng=random.Random(1), group_by_length=True) != batches


def test_an_answer_longer_than_max_length_is_left_out_and_counted_not_fatal(tiny_lm_dir: Path, tmp_path: Path) -> None:
    long_pair = QAPair("long", "Describe the whole pump manual.", "The pump " * 200, (), "train", ())
    examples = closed_book_examples([*PAIRS, long_pair], TEMPLATE)
    settings = LoraSettings(rank=4, alpha=8, epochs=1, batch_size=4, max_length=64)
    result = train_lora(fresh_lm(tiny_lm_dir, tmp_path), examples, settings)
    assert result.dropped_examples == ("long:closed_book",)
    assert len(result.losses) == 2  # the 8 short examples, in batches of 4
    with pytest.raises(RagvsftError, match="every training answer is longer than finetune.max_length=64"):
        train_lora(fresh_lm(tiny_lm_dir, tmp_path), examples[-1:], settings)


def test_same_seed_same_losses(tiny_lm_dir: Path, tmp_path: Path) -> None:
    examples = closed_book_examples(PAIRS, TEMPLATE)
    settings = LoraSettings(rank=4, alpha=8, dropout=0.1, learning_rate=1e-2, epochs=2, batch_size=3)
    runs = [train_lora(fresh_lm(tiny_lm_dir, tmp_path), examples, settings, seed=seed).losses
            for seed in (7, 7, 8)]
    assert runs[0] == runs[1] and runs[0] != runs[2] and len(runs[0]) == 6


@pytest.mark.parametrize("api", ["activation", "gradient"])
def test_micro_batches_and_checkpointing_train_the_same_adapter(tiny_lm_dir: Path, tmp_path: Path, monkeypatch,
                                                                api: str) -> None:
    from transformers import PreTrainedModel

    switched: list[str] = []  # checkpointing really turns on where asked, and off again

    def recording(name: str):
        original = getattr(PreTrainedModel, name)

        def switch(self, *args, **kwargs):
            switched.append(name.rsplit("_", 1)[-1])
            return original(self, *args, **kwargs)
        return switch

    renamed = hasattr(PreTrainedModel, "activation_checkpointing_enable")
    if api == "activation" and not renamed:
        pytest.skip("this transformers predates the activation_checkpointing_* names (the other case runs)")
    if api == "gradient" and renamed:
        # transformers before the 5.2x rename (5.17 on the GPU image): only the old names, which did what the new
        # ones do now. Here they forward to the new implementations, which are then removed from view.
        enable, disable = PreTrainedModel.activation_checkpointing_enable, PreTrainedModel.activation_checkpointing_disable
        monkeypatch.setattr(PreTrainedModel, "gradient_checkpointing_enable",
                            lambda self, gradient_checkpointing_kwargs=None: enable(
                                self, activation_checkpointing_kwargs=gradient_checkpointing_kwargs))
        monkeypatch.setattr(PreTrainedModel, "gradient_checkpointing_disable", lambda self: disable(self))
        for name in ("activation_checkpointing_enable", "activation_checkpointing_disable"):
            monkeypatch.delattr(PreTrainedModel, name)
    for name in (f"{api}_checkpointing_enable", f"{api}_checkpointing_disable"):
        monkeypatch.setattr(PreTrainedModel, name, recording(name))
    # Examples of different lengths, so a small token budget splits every batch into uneven parts.
    examples = [TrainExample(f"q{n}", [{"role": "user", "content": "Question: " + "why " * (n * 3) + q}], a)
                for n, (q, a) in enumerate(FACTS)]
    settings = dataclasses.replace(TINY, epochs=3)
    tokenizer = load_lm(str(tiny_lm_dir), cache_dir=tmp_path).tokenizer
    lengths = [len(encode_example(tokenizer, e, max_length=512).input_ids) for e in examples]
    budget = max(lengths) + 1
    assert len(lora_module.micro_batches(lengths, range(8), budget)) >= 3  # the budget really splits the batch

    def train(**how: object) -> tuple[list[float], dict[str, torch.Tensor]]:
        # float32 on a GPU too: in bfloat16, summing the same gradients in another order moves the adapter by
        # about 1e-2 after these steps (seen on an H200), which would hide a real difference between the paths.
        lm = load_lm(str(tiny_lm_dir), cache_dir=tmp_path, dtype="float32")
        result = train_lora(lm, examples, dataclasses.replace(settings, **how), seed=0, torch_threads=1)
        weights = {n: p.detach().clone() for n, p in result.model.named_parameters() if "lora_" in n}
        return result.losses, weights

    whole_losses, whole = train(max_batch_tokens=0, gradient_checkpointing="off")
    cases = [({"max_batch_tokens": budget, "gradient_checkpointing": "off"}, []),
             ({"max_batch_tokens": budget, "gradient_checkpointing": "on"}, ["enable", "disable"]),
             # some rows over the budget: on for those, off for the rest, several times over the epochs
             ({"max_batch_tokens": min(lengths) + 1, "gradient_checkpointing": "auto"}, ["enable", "disable"] * 3)]
    for how, switches in cases:
        switched.clear()
        losses, weights = train(**how)
        assert losses == pytest.approx(whole_losses, rel=1e-4), how
        # CUDA's backward kernels accumulate in a nondeterministic order: float32 rounding, a little looser.
        atol = 1e-5 if whole[next(iter(whole))].device.type == "cpu" else 1e-4
        worst = max(float((weights[n] - whole[n]).abs().max()) for n in whole)
        assert worst <= atol, (how, worst)
        assert switched[: len(switches)] == switches and len(switched) % 2 == 0, (how, switched)


def test_memory_settings_do_not_change_the_adapter_fingerprint() -> None:
    from ragvsft.finetune.adapter import adapter_fingerprint

    same = [adapter_fingerprint("m@sha256:1", [], LoraSettings(**how), 0)
            for how in ({}, {"max_batch_tokens": 256}, {"gradient_checkpointing": "on"})]
    assert len(set(same)) == 1
    assert adapter_fingerprint("m@sha256:1", [], LoraSettings(batch_size=4), 0) not in same


def test_micro_batches_keep_each_part_within_the_budget() -> None:
    lengths = [90, 10, 400, 35, 35, 200, 60, 120]
    parts = lora_module.micro_batches(lengths, range(8), 240)
    assert sorted(i for part in parts for i in part) == list(range(8))  # every example exactly once
    assert all(len(part) * max(lengths[i] for i in part) <= 240 or len(part) == 1 for part in parts)
    assert [2] in parts  # longer than the budget: alone, not dropped
    assert lora_module.micro_batches(lengths, range(8), 0) == [list(range(8))]


def test_full_logits_fallback_trains_the_same(tiny_lm_dir: Path, tmp_path: Path, monkeypatch) -> None:
    examples = closed_book_examples(PAIRS, TEMPLATE)
    settings = LoraSettings(rank=4, alpha=8, dropout=0.0, learning_rate=1e-2, epochs=2, batch_size=4)
    fast = train_lora(fresh_lm(tiny_lm_dir, tmp_path), examples, settings).losses
    monkeypatch.setattr(lora_module, "answer_only_logits_supported", lambda model: False)
    monkeypatch.setattr(lora_module, "chunked_head_supported", lambda model: False)
    with pytest.warns(UserWarning, match="full logits"):
        slow = train_lora(fresh_lm(tiny_lm_dir, tmp_path), examples, settings).losses
    assert fast == pytest.approx(slow, abs=1e-4)


# --- adapters --------------------------------------------------------------------------------------------------------


def test_adapter_round_trip(trained, tiny_lm_dir: Path, tmp_path: Path) -> None:
    from peft import PeftModel

    lm, result, _ = trained
    folder = tmp_path / "adapters" / "run-1"
    ids = [e.id for e in closed_book_examples(PAIRS, TEMPLATE)]
    save_adapter(result.model, folder, base_model_identity=lm.identity, base_model_path=str(lm.path), settings=TINY,
                 seed=0, train_ids=ids)

    assert (folder / "adapter_model.safetensors").is_file()
    meta = load_adapter_meta(folder)
    assert meta["base_model_identity"] == lm.identity and meta["base_model_path"] == str(lm.path)
    assert meta["lora"]["rank"] == 16 and meta["lora"]["target_modules"][-1] == "lm_head"
    assert meta["recipe"] == "closed_book" and meta["seed"] == 0 and meta["train_examples"] == 8
    assert len(meta["train_ids_sha256"]) == 64
    assert json.loads((folder / META_FILE).read_text())["base_model_identity"] == lm.identity  # the key readers use

    batch = collate([encode_example(lm.tokenizer, e, max_length=64) for e in closed_book_examples(PAIRS, TEMPLATE)],
                    pad_token_id=lm.tokenizer.pad_token_id)
    device = result.model.device  # a GPU when there is one
    inputs = {"input_ids": batch["input_ids"].to(device), "attention_mask": batch["attention_mask"].to(device)}
    reloaded = PeftModel.from_pretrained(fresh_lm(tiny_lm_dir, tmp_path).model, str(folder)).eval()
    via_helper = load_adapter(fresh_lm(tiny_lm_dir, tmp_path), folder)
    with torch.no_grad():
        expected = result.model(**inputs).logits
        assert torch.equal(reloaded(**inputs).logits, expected)
        assert torch.equal(via_helper(**inputs).logits, expected)

    with pytest.raises(RagvsftError, match="never overwritten"):
        save_adapter(result.model, folder, base_model_identity=lm.identity, base_model_path=str(lm.path),
                     settings=TINY, seed=0, train_ids=ids)


@pytest.mark.parametrize(("file", "damage", "problem"), [
    ("adapter_model.safetensors", lambda p: p.write_bytes(p.read_bytes()[:64]), "holds 64 bytes where"),
    ("adapter_model.safetensors", lambda p: p.unlink(), "file missing"),
    ("adapter_config.json", lambda p: p.write_text(p.read_text().replace('"r": 16', '"r": 61')),
     "contents differ from the checksum"),
])
def test_a_damaged_adapter_is_refused_naming_the_file(trained, tiny_lm_dir: Path, tmp_path: Path, file, damage,
                                                      problem) -> None:
    lm, result, _ = trained
    folder = tmp_path / "adapter"
    save_adapter(result.model, folder, base_model_identity=lm.identity, base_model_path=str(lm.path), settings=TINY,
                 seed=0, train_ids=["q0"])
    assert set(load_adapter_meta(folder)["files"]) == {"adapter_model.safetensors", "adapter_config.json"}
    check_adapter_base(folder, lm.identity)  # intact
    damage(folder / file)
    with pytest.raises(RagvsftError, match=f"{folder / file}: {problem}.*the adapter is damaged"):
        check_adapter_base(folder, lm.identity)
    with pytest.raises(RagvsftError, match=problem):
        load_adapter(fresh_lm(tiny_lm_dir, tmp_path), folder)


def test_a_damaged_or_foreign_adapter_is_no_warm_start(trained, tmp_path: Path) -> None:
    from rich.console import Console

    from ragvsft.pipelines.finetune import _usable_start

    lm, result, _ = trained
    folder = tmp_path / "champion"
    save_adapter(result.model, folder, base_model_identity=lm.identity, base_model_path=str(lm.path), settings=TINY,
                 seed=0, train_ids=["q0"])
    console = Console(record=True, width=400)
    assert _usable_start(folder, lm.identity, TINY, console) == folder
    assert _usable_start(folder, "other@sha256:0", TINY, console) is None
    assert _usable_start(folder, lm.identity, dataclasses.replace(TINY, rank=4), console) is None
    (folder / "adapter_model.safetensors").write_bytes(b"")
    assert _usable_start(folder, lm.identity, TINY, console) is None
    said = console.export_text()
    assert "was trained on base model" in said and "rank or target modules differ" in said
    assert "holds 0 bytes where" in said and said.count("training from scratch") == 3


def test_check_adapter_base_names_both_identities(trained, tmp_path: Path) -> None:
    lm, result, _ = trained
    folder = tmp_path / "adapter"
    save_adapter(result.model, folder, base_model_identity=lm.identity, base_model_path=str(lm.path), settings=TINY,
                 seed=0, train_ids=["q0"])
    check_adapter_base(folder, lm.identity)
    with pytest.raises(RagvsftError) as err:
        check_adapter_base(folder, "other-model@sha256:0123456789abcdef")
    assert lm.identity in str(err.value) and "other-model@sha256:0123456789abcdef" in str(err.value)
    with pytest.raises(RagvsftError, match="not a ragvsft adapter"):
        load_adapter_meta(tmp_path)


def test_crash_mid_save_leaves_no_adapter(trained, tmp_path: Path, monkeypatch) -> None:
    lm, result, _ = trained
    real_save = result.model.save_pretrained

    def save_then_die(directory: str, **kwargs) -> None:
        real_save(directory, **kwargs)  # the weights are on disk, the metadata is not yet
        raise KeyboardInterrupt

    monkeypatch.setattr(result.model, "save_pretrained", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        save_adapter(result.model, tmp_path / "out" / "adapter", base_model_identity=lm.identity,
                     base_model_path=str(lm.path), settings=TINY, seed=0, train_ids=["q0"])
    assert list((tmp_path / "out").iterdir()) == []  # neither the adapter nor a temporary folder
