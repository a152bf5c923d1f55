"""A tiny causal LM built in-process: 2-layer Llama, byte-level BPE tokenizer trained here, chat template.

Real transformers/peft code paths, random weights, no download. Import the
fixture in any test (conftest registers this module as a plugin).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# ChatML, like SmolLM2's, so prompts are shaped as with the packaged model.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TRAINING_TEXT = [
    "Parental leave at Orvane Instruments is 22 weeks. Requests go to Ines Marlow.",
    "Travel is booked through Tripdesk. Flights under 6 hours are economy class.",
    "The X-200 maximum pressure is 14 bar. Error E17 means the seal has failed.",
    "Question: Answer: Context: You answer questions about documents.",
] * 20


def build_tiny_lm(folder: Path, *, vocab_size: int = 400, seed: int = 0, hidden_size: int = 32,
                  intermediate_size: int = 64) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator(TRAINING_TEXT, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", unk_token="<|endoftext|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=intermediate_size,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_lm(tmp_path_factory.mktemp("tiny-lm"))


def lora_adapter(base_dir: Path, out: Path, *, base_identity: str | None,
                 targets: tuple[str, ...] = ("q_proj", "v_proj"), rank: int = 4) -> Path:
    """A real LoRA adapter with non-zero weights (so it changes answers), optionally with our metadata file.
    Its random weights are seeded: the same adapter whichever tests ran before."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    config = LoraConfig(r=rank, lora_alpha=16 * rank, target_modules=list(targets), init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    if base_identity is not None:
        (out / "ragvsft_adapter.json").write_text(json.dumps({"base_model_identity": base_identity}))
    return out


def decoded_together(generator: Any, prompts: list[Any], adapter_names: list[str] | None, max_new_tokens: int,
                     stop: tuple[str, ...] = ()) -> list[str]:
    """The answers to ``prompts`` (token ids) decoded in one running batch, as the server decodes them."""
    from ragvsft.generators.continuous import Row

    batch = generator.running_batch(stop=stop)
    batch.admit([Row(p, max_new_tokens, None if adapter_names is None else adapter_names[i], tag=i)
                 for i, p in enumerate(prompts)])
    texts: dict[int, str] = {}
    while batch.rows:
        texts.update((row.tag, batch.generation(row).text) for row in batch.step())
    return [texts[i] for i in range(len(prompts))]
