"""Constants shared by the Rasa components (in .venv-rasa) and the custom actions (in .venv)."""

# What the NLU pipeline sees instead of an empty message (bot/components/tokenizer.py); the actions
# treat it as the empty text it stands for.
EMPTY_MESSAGE_PLACEHOLDER = "__empty_message__"
