"""LoRA fine-tuning on a corpus' training questions: data recipes, tokenization, the training loop, adapters.

Example:
    >>> examples = RECIPES["raft"](train, PromptTemplate(), retriever=BM25Retriever(chunks), k=3,
    ...                            gold_fraction=0.8, seed=0)  # doctest: +SKIP
    >>> result = train_lora(lm, examples, LoraSettings(epochs=3))  # doctest: +SKIP
    >>> save_adapter(result.model, out, base_model_identity=lm.identity, base_model_path=str(lm.path),
    ...              settings=LoraSettings(epochs=3), recipe="raft", train_ids=[e.id for e in examples])  # doctest: +SKIP
"""

from ragvsft.finetune.adapter import META_FILE, check_adapter_base, load_adapter, load_adapter_meta, save_adapter
from ragvsft.finetune.data import RECIPES, Recipe, TrainExample, closed_book_examples, raft_examples
from ragvsft.finetune.lora import LoraSettings, StepInfo, TrainResult, batch_indices, causal_lm_loss, train_lora
from ragvsft.finetune.tokenize import IGNORE_INDEX, EncodedExample, collate, encode_example

__all__ = [
    "IGNORE_INDEX",
    "META_FILE",
    "RECIPES",
    "EncodedExample",
    "LoraSettings",
    "Recipe",
    "StepInfo",
    "TrainExample",
    "TrainResult",
    "batch_indices",
    "causal_lm_loss",
    "check_adapter_base",
    "closed_book_examples",
    "collate",
    "encode_example",
    "load_adapter",
    "load_adapter_meta",
    "raft_examples",
    "save_adapter",
    "train_lora",
]
