"""The conversation language: sticky, switched by a long confident message or an explicit request."""

from __future__ import annotations

from core.language.detector import Detection


def decide_conversation_language(
    current: str | None,
    detection: Detection,
    *,
    requested: str | None = None,
    supported: tuple[str, ...] | list[str],
    min_words_to_switch: int = 3,
    min_confidence_to_switch: float = 0.9,
) -> str | None:
    """The language the conversation continues in after this message.

    - an explicit request ("en français svp") wins when the language is supported;
    - the first message with words sets the language;
    - later, only a message of at least ``min_words_to_switch`` words detected with at least
      ``min_confidence_to_switch`` switches it; "ok", "merci" or a product name never do;
    - a message in an unsupported language changes nothing.
    """
    if requested in supported:
        return requested
    if not detection.supported or detection.words == 0:
        return current
    if current is None:
        return detection.lang
    if (
        detection.lang != current
        and detection.words >= min_words_to_switch
        and detection.confidence >= min_confidence_to_switch
    ):
        return detection.lang
    return current
