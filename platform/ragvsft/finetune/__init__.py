"""LoRA fine-tuning on a corpus' training questions, one concern per module:

- ``settings``: ``LoraSettings``, the ``[finetune]`` table (imports nothing heavy, so reading a config loads no torch);
- ``data``: the data recipes (``closed_book``, ``raft``) that turn QA pairs into ``TrainExample`` s;
- ``tokenize``: examples -> token ids and answer-only labels, through ``ragvsft.prompts.render_prompt``;
- ``lora``: the training loop, ``train_lora``;
- ``adapter``: saving and loading adapters with the identity of their base model.

Example:
    >>> from ragvsft.finetune.data import RECIPES
    >>> settings = LoraSettings(recipe="raft")
    >>> examples = RECIPES[settings.recipe](train, PromptTemplate(), retriever=BM25Retriever(chunks),
    ...                                     k=settings.context_k, gold_fraction=settings.gold_fraction, seed=0)  # doctest: +SKIP
    >>> result = train_lora(lm, examples, settings, seed=0)  # doctest: +SKIP
"""

from ragvsft.finetune.settings import LoraSettings

__all__ = ["LoraSettings"]
