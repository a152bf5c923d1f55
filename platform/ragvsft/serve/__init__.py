"""The HTTP API (`ragvsft serve`): one base model answering every mode, micro-batched, hot-reloaded."""
