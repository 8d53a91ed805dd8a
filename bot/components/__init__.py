"""Custom Rasa NLU components (run inside .venv-rasa; the only place that imports rasa)."""
