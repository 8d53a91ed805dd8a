"""Language identification restricted to the supported languages, sticky per conversation."""

from core.language.detector import Detection, LanguageDetector
from core.language.conversation import decide_conversation_language

__all__ = ["Detection", "LanguageDetector", "decide_conversation_language"]
