"""Generator backends: one file each, one line each in ``GENERATORS``.

Example:
    >>> gen = GENERATORS["hf"]("SmolLM2-135M-Instruct", cache_dir=Path(".cache/ragvsft"))  # doctest: +SKIP
    >>> gen.generate([PromptTemplate().messages("Who signs travel?")], max_new_tokens=16, stop=["\\n"])  # doctest: +SKIP
    [Generation(text='Ines Marlow', prompt_tokens=52, new_tokens=5, latency_ms=412.3)]
"""

from collections.abc import Callable

from ragvsft.generators.base import Generation, Generator, truncate_at_stop
from ragvsft.generators.hf import HFGenerator
from ragvsft.generators.openai_compat import OpenAIGenerator

GENERATORS: dict[str, Callable[..., Generator]] = {
    "hf": HFGenerator,
    "openai": OpenAIGenerator,
}

__all__ = ["GENERATORS", "Generation", "Generator", "HFGenerator", "OpenAIGenerator", "truncate_at_stop"]
