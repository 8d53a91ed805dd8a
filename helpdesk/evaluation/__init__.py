"""Benchmarks and evaluations that print figures (not pass/fail tests).

``python -m helpdesk.evaluation.langid`` (``make bench-lang``): language identification on SIB-200
prefixes and on the project's chat-message set. ``python -m helpdesk.evaluation.nlu``
(``make eval-nlu``): held-out evaluation of the Rasa NLU per language.
"""
