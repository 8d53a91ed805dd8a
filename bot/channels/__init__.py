"""Rasa input channels of our own. With ``bot/components`` the only modules that import rasa: they
are loaded by the Rasa server inside ``.venv-rasa`` (the launcher puts the project on its PYTHONPATH)."""
