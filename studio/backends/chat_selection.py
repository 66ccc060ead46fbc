"""Picks the embedded stack's chat model: an Ollama that has the configured model, else SmolLM2.

Threading: called once from the registry's loader thread at start (one HTTP probe of at most 1 s,
then possibly a model load).
"""

from __future__ import annotations

from studio.backends.contracts import ChatModel
from studio.backends.ollama_admin import OllamaAdmin
from studio.backends.ollama_chat import OllamaChat
from studio.config import Settings


def select_embedded_chat(settings: Settings) -> ChatModel:
    """OllamaChat when the server at OLLAMA_HOST has OLLAMA_MODEL_NAME pulled, else SmolLMChat."""
    if OllamaAdmin(settings.OLLAMA_HOST).serves(settings.OLLAMA_MODEL_NAME):
        return OllamaChat(settings)
    from studio.backends.smollm_chat import SmolLMChat  # loads torch: only when needed

    return SmolLMChat(settings)
