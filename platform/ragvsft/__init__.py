"""ragvsft: measure retrieval (RAG) against LoRA fine-tuning on your own documents.

The library holds typed, side-effect-free parts; the recipes that wire them
together live in ``pipelines/`` (installed as ``ragvsft.pipelines``).
"""

__version__ = "0.1.0"
