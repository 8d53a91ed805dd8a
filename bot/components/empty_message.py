"""Empty messages through the NLU pipeline: a safe tokenizer and a classifier that says "unclear".

Rasa 3.6's WhitespaceTokenizer yields no token for an empty or blank message; the RegexFeaturizer
and the sentence featurizer then add no features for it, and LogisticRegressionClassifier fails on
the shorter feature vector ("X has 15015 features, but LogisticRegression is expecting 15025"), so
the REST channel answered an empty message with nothing at all.

- ``NonEmptyWhitespaceTokenizer`` (instead of ``WhitespaceTokenizer``) gives such a message a neutral
  placeholder text and token, for the NLU only: the tracker keeps the empty text.
- ``EmptyMessageClassifier`` (after the intent classifier) turns the placeholder, and any message
  without a single letter or digit (emoji, punctuation), into ``nlu_fallback``, whose rule lets the
  action server answer "your message seems to be empty" / "I can only read text" in the user's
  language, instead of a confident guess ("😀😀😀" came out as goodbye).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.constants import EMPTY_MESSAGE_PLACEHOLDER as PLACEHOLDER

_WORD = re.compile(r"\w")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NonEmptyWhitespaceTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer that gives an empty or blank message one placeholder token."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        if attribute == TEXT and not str(message.get(attribute) or "").strip():
            message.set(TEXT, PLACEHOLDER)  # the featurizers skip empty texts, which breaks the classifier
            return [Token(PLACEHOLDER, 0)]
        return super().tokenize(message, attribute)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmptyMessageClassifier(GraphComponent):
    """Classifies the empty-message placeholder and word-less messages as ``nlu_fallback``."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "EmptyMessageClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = str(message.get(TEXT) or "")
            if text == PLACEHOLDER or not _WORD.search(text):
                intent = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages
