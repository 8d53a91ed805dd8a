"""The bottom floor: settings, privacy masking, language detection, SQLite storage and record stores.

Imports nothing of ours above it, and ``core.privacy`` and ``core.language`` stay importable in
Rasa's own environment (``.venv-rasa``), where the tracker store uses them."""
