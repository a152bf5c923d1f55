"""Generator backends: the HF backend on tiny real models (and once on the packaged SmolLM2), the OpenAI one on a stub server."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from lm_fixtures import lora_adapter
from openai_stub import Stub
from ragvsft.errors import RagvsftError
from ragvsft.finetune.data import TrainExample
from ragvsft.finetune.tokenize import encode_example
from ragvsft.generators import GENERATORS, Generation, HFGenerator, OpenAIGenerator, truncate_at_stop
from ragvsft.models import load_lm
from ragvsft.prompts import PromptTemplate, prompt_text

QUESTIONS = [
    "Who?",
    "How long is parental leave at Orvane Instruments?",
    "What is the maximum pressure of the X-200 pump, in bar, according to the manual?",
    "E17?",
    "Where is travel booked, and which class applies to flights under 6 hours?",
]
CONVERSATIONS = [PromptTemplate().messages(q) for q in QUESTIONS]


# ---------------------------------------------------------------- HF backend


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny matrices gain nothing from threads, and on a busy shared CPU an OpenMP pair waiting for each other
    turned each 1 ms forward into ~15 ms. Restored afterwards: the setting is process-wide."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def chatty_lm_dir(tiny_lm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny LM with larger random weights: the fixture's own only ever emits newlines, which proves nothing."""
    import torch
    from transformers import AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("chatty-lm")
    shutil.copytree(tiny_lm_dir, folder, dirs_exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() == 2:
                param.normal_(0.0, 0.5)
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def gen(chatty_lm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> HFGenerator:
    return HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path_factory.mktemp("cache"), batch_size=3)


def test_batched_generation_equals_one_at_a_time_in_input_order(gen: HFGenerator) -> None:
    import torch

    if gen._lm.model.dtype != torch.float32:
        pytest.skip("in bfloat16 (a GPU) greedy answers depend on the batch's shape: rounding, see generators/hf.py")
    batched = gen.generate(CONVERSATIONS, max_new_tokens=10)
    single = [gen.generate([c], max_new_tokens=10)[0] for c in CONVERSATIONS]
    assert [g.text for g in batched] == [g.text for g in single]
    assert [g.new_tokens for g in batched] == [g.new_tokens for g in single]
    assert [g.prompt_tokens for g in batched] == [g.prompt_tokens for g in single]
    # Not a vacuous match: answers are non-empty and differ between questions.
    assert all(g.text for g in batched) and len({g.text for g in batched}) == len(QUESTIONS)
    # Prompts of different lengths, so batches really were padded (and sorted by length).
    assert len({g.prompt_tokens for g in batched}) == len(QUESTIONS)


def test_output_order_follows_input_order_not_length_order(gen: HFGenerator) -> None:
    forward = gen.generate(CONVERSATIONS, max_new_tokens=6)
    backward = gen.generate(CONVERSATIONS[::-1], max_new_tokens=6)
    assert [g.text for g in backward] == [g.text for g in forward][::-1]
    assert [g.prompt_tokens for g in backward] == [g.prompt_tokens for g in forward][::-1]


def test_max_new_tokens_caps_generation(gen: HFGenerator) -> None:
    for cap in (1, 4):
        out = gen.generate(CONVERSATIONS, max_new_tokens=cap)
        assert all(1 <= g.new_tokens <= cap for g in out)
        assert max(g.new_tokens for g in out) == cap
    assert gen.generate([], max_new_tokens=4) == []
    with pytest.raises(RagvsftError, match="max_new_tokens"):
        gen.generate(CONVERSATIONS, max_new_tokens=0)
    with pytest.raises(RagvsftError, match="no room for the prompt"):
        gen.generate(CONVERSATIONS, max_new_tokens=512)


def test_stop_strings_cut_the_answer_and_end_generation_early(gen: HFGenerator) -> None:
    full = gen.generate(CONVERSATIONS, max_new_tokens=16)
    text = full[1].text
    # Two ASCII letters from the middle of question 1's answer: found early, so generation can stop early.
    start = next(i for i in range(2, len(text) - 1) if text[i:i + 2].isascii() and text[i:i + 2].isalpha())
    stop = text[start:start + 2]
    cut = gen.generate(CONVERSATIONS, max_new_tokens=16, stop=[stop])
    assert cut[1].text == text[:text.find(stop)].strip()
    assert cut[1].new_tokens < full[1].new_tokens
    for before, after in zip(full, cut):  # the other rows are cut at the same string, or not at all
        assert after.text == before.text[:before.text.find(stop)].strip() if stop in before.text else after.text == before.text


def test_truncate_at_stop() -> None:
    assert truncate_at_stop("  22 weeks\nQuestion: x", ["\n"]) == "22 weeks"
    assert truncate_at_stop("\n22 weeks.</s>more\n", ["\n", "</s>"]) == "22 weeks."
    assert truncate_at_stop("no stop here ", ["###"]) == "no stop here"
    assert truncate_at_stop("a b", []) == "a b"
    assert truncate_at_stop("a b", [""]) == "a b"
    # Stopped at the token limit inside a character: its half (decoded as U+FFFD) is no part of the answer.
    assert truncate_at_stop("휴가는 27일입니\ufffd", ["\n"]) == "휴가는 27일입니"
    assert truncate_at_stop("a \ufffd b", []) == "a \ufffd b"  # one the text holds stays


def test_chat_template_renders_the_prompt(gen: HFGenerator, chatty_lm_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(chatty_lm_dir)
    conversation = CONVERSATIONS[2]
    text = prompt_text(tokenizer, conversation)
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    assert QUESTIONS[2] in text
    expected = tokenizer(tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False),
                         add_special_tokens=False)["input_ids"]
    assert gen.generate([conversation], max_new_tokens=2)[0].prompt_tokens == len(expected)


def test_model_without_chat_template_gets_a_plain_prompt(chatty_lm_dir: Path, tmp_path: Path) -> None:
    plain = HFGenerator(str(_without_chat_template(chatty_lm_dir, tmp_path / "no-template")), cache_dir=tmp_path / "cache")
    conversation = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Question: Who?"}]
    assert prompt_text(plain._lm.tokenizer, conversation) == "Be brief.\n\nQuestion: Who?\nAnswer:"
    out = plain.generate([conversation, CONVERSATIONS[1]], max_new_tokens=5)
    tokenizer = plain._lm.tokenizer
    assert out[0].prompt_tokens == len(tokenizer("Be brief.\n\nQuestion: Who?\nAnswer:")["input_ids"])
    assert all(g.new_tokens == 5 or g.text for g in out) and out[0].new_tokens >= 1


def _without_chat_template(chatty_lm_dir: Path, folder: Path) -> Path:
    shutil.copytree(chatty_lm_dir, folder)
    (folder / "chat_template.jinja").unlink()
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("templated", [True, False])
def test_training_and_generation_read_identical_prompt_ids(
    gen: HFGenerator, chatty_lm_dir: Path, tmp_path: Path, templated: bool
) -> None:
    """What makes "the served answer equals the evaluated answer" structural: one renderer for both paths."""
    generator = gen if templated else HFGenerator(str(_without_chat_template(chatty_lm_dir, tmp_path / "plain")),
                                                   cache_dir=tmp_path / "cache")
    tokenizer = generator._lm.tokenizer
    for conversation in (*CONVERSATIONS, PromptTemplate().messages("Max pressure?", ["The X-200 holds 14 bar."])):
        train = encode_example(tokenizer, TrainExample("x", conversation, "14 bar"), max_length=4096)
        assert train.input_ids[:-train.answer_tokens] == generator.prompt_ids(conversation, max_new_tokens=8)
    # Both cut from the left under the same budget.
    long = PromptTemplate().messages("pressure bar seal " * 300 + "How long is leave?")
    answer_tokens = encode_example(tokenizer, TrainExample("x", long, "22 weeks"), max_length=4096).answer_tokens
    cut = encode_example(tokenizer, TrainExample("x", long, "22 weeks"), max_length=512 - 8 + answer_tokens)
    assert cut.truncated and cut.input_ids[:-answer_tokens] == generator.prompt_ids(long, max_new_tokens=8)


def test_over_long_prompt_is_cut_from_the_left_to_fit_the_context(gen: HFGenerator) -> None:
    long_question = "Question: " + "pressure bar seal " * 400 + "How long is leave?"
    out = gen.generate([PromptTemplate().messages(long_question)], max_new_tokens=8)[0]
    assert out.prompt_tokens == 512 - 8  # the tiny model's max_position_embeddings
    assert out.new_tokens >= 1


def test_sampling_settings_in_generation_config_neither_warn_nor_change_greedy_output(
    gen: HFGenerator, chatty_lm_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "sampling-defaults"
    shutil.copytree(chatty_lm_dir, folder)
    config = json.loads((folder / "generation_config.json").read_text())
    config |= {"do_sample": True, "temperature": 0.3, "top_p": 0.9, "top_k": 20, "repetition_penalty": 1.5}
    (folder / "generation_config.json").write_text(json.dumps(config))
    noisy = HFGenerator(str(folder), cache_dir=tmp_path / "cache", batch_size=3)

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    hf_logger = logging.getLogger("transformers")
    hf_logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = noisy.generate(CONVERSATIONS, max_new_tokens=8)
    finally:
        hf_logger.removeHandler(handler)
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []
    assert [g.text for g in out] == [g.text for g in gen.generate(CONVERSATIONS, max_new_tokens=8)]


def test_adapter_trained_on_another_base_is_refused_before_generating(chatty_lm_dir: Path, tmp_path: Path) -> None:
    adapter = lora_adapter(chatty_lm_dir, tmp_path / "adapter", base_identity="other-model@sha256:0123456789abcdef")
    with pytest.raises(RagvsftError, match="was trained on base model") as err:
        HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter)
    base_identity = load_lm(str(chatty_lm_dir), cache_dir=tmp_path / "cache").identity
    assert "other-model@sha256:0123456789abcdef" in str(err.value) and base_identity in str(err.value)


def test_adapter_for_this_base_changes_identity_and_answers(gen: HFGenerator, chatty_lm_dir: Path, tmp_path: Path) -> None:
    adapter = lora_adapter(chatty_lm_dir, tmp_path / "run-1", base_identity=gen._lm.identity)
    tuned = HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter, batch_size=3)
    assert tuned.identity.startswith(gen._lm.identity + "+adapter@sha256:") and tuned.identity != gen.identity
    out = tuned.generate(CONVERSATIONS, max_new_tokens=6)
    assert [g.text for g in out] == [tuned.generate([c], max_new_tokens=6)[0].text for c in CONVERSATIONS]
    assert [g.text for g in out] != [g.text for g in gen.generate(CONVERSATIONS, max_new_tokens=6)]
    # A plain PEFT folder (no ragvsft_adapter.json) is accepted as it is.
    plain = lora_adapter(chatty_lm_dir, tmp_path / "plain", base_identity=None)
    plain_gen = HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=plain)
    assert plain_gen.identity.startswith(gen._lm.identity + "+adapter@sha256:") and plain_gen.identity != tuned.identity


def test_a_merged_adapter_answers_like_the_unmerged_one_under_its_own_identity(
        gen: HFGenerator, chatty_lm_dir: Path, tmp_path: Path) -> None:
    adapter = lora_adapter(chatty_lm_dir, tmp_path / "run-1", base_identity=gen._lm.identity)
    tuned = HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter, batch_size=3)
    merged = HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter, batch_size=3,
                         merge_adapter=True)
    # Its own cache identity: the sums round differently, so a cached unmerged answer must not stand in for it.
    dtype = "[bfloat16]" if tuned.identity.endswith("[bfloat16]") else ""  # a GPU's weights
    assert merged.identity == tuned.identity.removesuffix(dtype) + "+merged" + dtype
    assert not any("lora" in name for name, _ in merged._net.named_modules())  # folded in, not applied per token
    answers = [g.text for g in merged.generate(CONVERSATIONS, max_new_tokens=6)]
    if not dtype:  # in bfloat16 the folded sums may round a near-tie the other way
        assert answers == [g.text for g in tuned.generate(CONVERSATIONS, max_new_tokens=6)]
    assert answers != [g.text for g in gen.generate(CONVERSATIONS, max_new_tokens=6)]


def test_an_adapter_on_a_tied_lm_head_is_not_merged(gen: HFGenerator, chatty_lm_dir: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    # The tiny model ties lm_head to the input embeddings, as SmolLM2 does: merging would change both.
    adapter = lora_adapter(chatty_lm_dir, tmp_path / "run-1", base_identity=gen._lm.identity,
                           targets=("q_proj", "lm_head"))
    tuned = HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter, batch_size=3)
    with caplog.at_level("WARNING"):
        asked = HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter, batch_size=3,
                            merge_adapter=True)
    assert "adapts lm_head, whose weights the input embeddings share; not merging it" in caplog.text
    assert asked.identity == tuned.identity and any("lora" in name for name, _ in asked._net.named_modules())
    assert [g.text for g in asked.generate(CONVERSATIONS, max_new_tokens=6)] == [
        g.text for g in tuned.generate(CONVERSATIONS, max_new_tokens=6)]


def test_from_loaded_reuses_an_in_memory_peft_model(chatty_lm_dir: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    lm = load_lm(str(chatty_lm_dir), cache_dir=tmp_path / "cache")
    base = HFGenerator.from_loaded(lm, batch_size=2)
    assert base.identity in (lm.identity, f"{lm.identity}[bfloat16]")  # bfloat16 weights on a GPU
    before = [g.text for g in base.generate(CONVERSATIONS, max_new_tokens=5)]
    peft_model = get_peft_model(lm.model, LoraConfig(r=4, target_modules=["q_proj"], init_lora_weights=False))
    peft_model.train()  # as a training loop leaves it
    tuned = HFGenerator.from_loaded(lm, adapter_model=peft_model, batch_size=2)
    assert tuned.identity.startswith(lm.identity + "+adapter@sha256:")
    first = [g.text for g in tuned.generate(CONVERSATIONS, max_new_tokens=5)]
    assert first == [g.text for g in tuned.generate(CONVERSATIONS, max_new_tokens=5)]  # dropout was off
    assert first != before
    assert peft_model.training  # handed back in the mode it came in


def test_missing_model_or_adapter_folder_is_a_clear_error(chatty_lm_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(RagvsftError, match="not found"):
        HFGenerator(str(tmp_path / "no-such-model"), cache_dir=tmp_path / "cache")
    with pytest.raises(RagvsftError, match="not a PEFT adapter folder"):
        HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", adapter=tmp_path / "no-such-adapter")
    with pytest.raises(RagvsftError, match="batch_size"):
        HFGenerator(str(chatty_lm_dir), cache_dir=tmp_path / "cache", batch_size=0)


def test_packaged_smollm2_end_to_end(request: pytest.FixtureRequest) -> None:
    """The real default model. The first run converts its GGUF (~25 s); the pytest cache keeps the result."""
    cache_dir = Path(request.config.cache.mkdir("ragvsft-models"))
    smol = HFGenerator("SmolLM2-135M-Instruct", cache_dir=cache_dir, batch_size=2)
    conversations = [PromptTemplate().messages("What is the capital of France?"),
                     PromptTemplate().messages("Name a primary colour, with a short explanation of why.")]
    batched = smol.generate(conversations, max_new_tokens=8)
    assert all(g.text and 1 <= g.new_tokens <= 8 for g in batched)
    assert [g.text for g in batched] == [smol.generate([c], max_new_tokens=8)[0].text for c in conversations]
    assert smol.identity.startswith("SmolLM2-135M-Instruct@sha256:")


# ------------------------------------------------------------ OpenAI backend


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": text}]


def test_openai_request_body_headers_and_answer(stub: Stub) -> None:
    client = OpenAIGenerator(stub.url + "/", "big-model", api_key="sk-test")
    assert client.identity == f"openai:big-model@{stub.url}"
    out = client.generate([_user("abc def")], max_new_tokens=12, stop=["\n", "###"])
    assert out == [Generation(text="fed cba", prompt_tokens=11, new_tokens=3, latency_ms=out[0].latency_ms)]
    assert out[0].latency_ms >= 50
    (request,) = stub.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"] == {"model": "big-model", "messages": _user("abc def"), "max_tokens": 12,
                               "temperature": 0, "stop": ["\n", "###"]}


def test_openai_without_key_or_usage(stub: Stub) -> None:
    stub.usage = False
    out = OpenAIGenerator(stub.url, "m").generate([_user("one two three four")], max_new_tokens=5)
    assert stub.requests[0]["auth"] is None and "stop" not in stub.requests[0]["body"]
    assert (out[0].text, out[0].new_tokens, out[0].prompt_tokens) == ("ruof eerht owt eno", 4, 6)


def test_openai_concurrent_requests_keep_input_order(stub: Stub) -> None:
    questions = ["slow one", "b fast", "slow two", "d fast", "e fast", "f fast"]
    out = OpenAIGenerator(stub.url, "m", max_concurrency=4).generate([_user(q) for q in questions], max_new_tokens=4)
    assert [g.text for g in out] == [q[::-1] for q in questions]
    assert 2 <= stub.max_in_flight <= 4


def test_openai_stop_strings_are_applied_to_the_reply(stub: Stub) -> None:
    out = OpenAIGenerator(stub.url, "m").generate([_user("tail###answer")], max_new_tokens=4, stop=["###"])
    assert out[0].text == "rewsna"


def test_openai_retries_a_server_error_then_succeeds(stub: Stub) -> None:
    stub.script = [(500, '{"error": "overloaded"}'), (429, "slow down")]
    out = OpenAIGenerator(stub.url, "m", retry_backoff_s=0.01).generate([_user("xy")], max_new_tokens=4)
    assert out[0].text == "yx" and len(stub.requests) == 3


def test_openai_gives_up_after_the_retries(stub: Stub) -> None:
    stub.script = [(503, "down")] * 5
    with pytest.raises(RagvsftError, match="HTTP 503.*down"):
        OpenAIGenerator(stub.url, "m", retries=2, retry_backoff_s=0.01).generate([_user("xy")], max_new_tokens=4)
    assert len(stub.requests) == 3


def test_openai_unauthorised_is_a_clear_error_without_retry(stub: Stub) -> None:
    stub.script = [(401, '{"error": {"message": "invalid api key"}}' + "x" * 1000)]
    with pytest.raises(RagvsftError, match="HTTP 401.*API key.*invalid api key") as err:
        OpenAIGenerator(stub.url, "m", api_key="wrong").generate([_user("xy")], max_new_tokens=4)
    assert len(stub.requests) == 1
    assert "x" * 300 not in str(err.value) and "wrong" not in str(err.value)  # body cut at 300 chars, key not echoed


def test_openai_malformed_replies_are_clear_errors(stub: Stub) -> None:
    stub.script = [(200, "<html>proxy error</html>"), (200, "[" * 100_000), (200, '{"choices": []}')]
    client = OpenAIGenerator(stub.url, "m")
    with pytest.raises(RagvsftError, match="not JSON.*proxy error"):
        client.generate([_user("xy")], max_new_tokens=4)
    with pytest.raises(RagvsftError, match=r"not JSON: '\[\[\["):  # nested deeper than Python's parser recurses
        client.generate([_user("xy")], max_new_tokens=4)
    with pytest.raises(RagvsftError, match="not a chat completion"):
        client.generate([_user("xy")], max_new_tokens=4)


def test_openai_connection_refused_names_the_url() -> None:
    with socket.socket() as sock:  # a port that was just free, so nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(RagvsftError, match=f"cannot reach {url}/chat/completions"):
        OpenAIGenerator(url, "m", timeout_s=5).generate([_user("xy")], max_new_tokens=4)


def test_openai_redirects_are_not_followed_so_the_key_stays_where_it_was_sent(stub: Stub) -> None:
    elsewhere = stub.url.replace("127.0.0.1", "localhost") + "/chat/completions"  # another origin, same stub
    for status in (301, 302, 303, 307, 308):
        stub.script = [(status, "", {"Location": elsewhere})]
        stub.requests.clear()
        with pytest.raises(RagvsftError, match=f"HTTP {status} redirect to {elsewhere}, not followed") as err:
            OpenAIGenerator(stub.url, "m", api_key="sk-secret").generate([_user("xy")], max_new_tokens=4)
        assert len(stub.requests) == 1 and "sk-secret" not in str(err.value)  # the redirect target got nothing


def test_openai_key_is_not_sent_over_plain_http_to_another_machine() -> None:
    with pytest.raises(RagvsftError, match="unencrypted to 10.1.2.3; use https://, or set allow_plain_http"):
        OpenAIGenerator("http://10.1.2.3:8000/v1", "m", api_key="sk-secret")
    # Fine: no key, this machine, https, or the explicit opt-in.
    OpenAIGenerator("http://10.1.2.3:8000/v1", "m")
    for local in ("http://localhost:8000/v1", "http://127.0.0.5/v1", "http://[::1]:8000/v1"):
        OpenAIGenerator(local, "m", api_key="sk-secret")
    OpenAIGenerator("https://10.1.2.3/v1", "m", api_key="sk-secret")
    OpenAIGenerator("http://10.1.2.3:8000/v1", "m", api_key="sk-secret", allow_plain_http=True)


def test_openai_credentials_in_the_base_url_never_reach_identity_or_messages() -> None:
    with socket.socket() as sock:  # nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = OpenAIGenerator(f"http://me:pa55word@127.0.0.1:{port}/v1?api-key=k3y", "m", timeout_s=5)
    assert client.identity == f"openai:m@http://127.0.0.1:{port}/v1"
    with pytest.raises(RagvsftError, match=f"cannot reach http://127.0.0.1:{port}/v1/chat/completions") as err:
        client.generate([_user("xy")], max_new_tokens=4)
    assert "pa55word" not in str(err.value) and "k3y" not in str(err.value)
    with pytest.raises(RagvsftError, match="must be an http") as err:
        OpenAIGenerator("ftp://me:pa55word@host/v1", "m")
    assert "pa55word" not in str(err.value)


def test_an_endpoint_too_slow_for_timeout_s_says_which_settings_help(stub: Stub) -> None:
    client = OpenAIGenerator(stub.url, "m", timeout_s=0.05, max_concurrency=1)  # the stub takes 0.2 s for "slow"
    with pytest.raises(RagvsftError, match=r"no answer within 0.05 s \(up to 1 request\(s\) in flight\); .* larger timeout_s"):
        client.generate([_user("slow question")], max_new_tokens=4)


def test_openai_base_url_must_be_http() -> None:
    for bad in ("ftp://host/v1", "localhost:8000/v1", "http://", "http://host:port/v1"):
        with pytest.raises(RagvsftError, match="http"):
            OpenAIGenerator(bad, "m")


def test_registry_builds_both_backends(stub: Stub) -> None:
    assert set(GENERATORS) == {"hf", "openai"}
    assert GENERATORS["openai"](stub.url, "m").identity == f"openai:m@{stub.url}"


def test_identity_names_a_dtype_other_than_float32(chatty_lm_dir: Path, tmp_path: Path) -> None:
    import torch

    from ragvsft.models import LoadedLM

    lm = load_lm(str(chatty_lm_dir), cache_dir=tmp_path, device="cpu")
    assert HFGenerator.from_loaded(lm).identity == lm.identity  # float32: the weights' identity alone
    half = LoadedLM(lm.model.to(torch.bfloat16), lm.tokenizer, lm.path, lm.identity)
    assert HFGenerator.from_loaded(half).identity == f"{lm.identity}[bfloat16]"
