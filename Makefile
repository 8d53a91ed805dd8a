# The two commands: `make run` and `make test`. Everything else is installed on the way.
.DEFAULT_GOAL := help
VENV := .venv/bin

help:
	@echo "make run    install what is missing, train, index the KB, start Rasa (:5005), actions (:5055), helpdesk (:8000)"
	@echo "make test   install what is missing and run the whole test suite (unit + end-to-end)"

.venv/.installed: pyproject.toml requirements/app.lock scripts/install-app
	scripts/install-app

.venv-rasa/.installed: requirements/rasa.lock scripts/install-rasa
	scripts/install-rasa

install: .venv/.installed .venv-rasa/.installed

train: install
	$(VENV)/python -c "from helpdesk.settings import load_settings; from helpdesk.launcher import train_if_needed; train_if_needed(load_settings())"

kb-index: install
	$(VENV)/helpdesk kb build

run: install
	$(VENV)/helpdesk run

test: install
	$(VENV)/python -m pytest -v -rA --durations=10

.PHONY: help install train kb-index run test
