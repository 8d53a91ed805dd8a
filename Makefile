# The two commands: `make run` and `make test`. Everything else is installed on the way.
.DEFAULT_GOAL := help
VENV := .venv/bin

help:
	@echo "make run    install what is missing, train, index the KB, start Rasa (:5005), actions (:5055), helpdesk (:8000)"
	@echo "make test   install what is missing and run the whole test suite (unit + end-to-end)"
	@echo "make run-scaled   the same with several Rasa processes behind HAProxy (Redis, PostgreSQL, RabbitMQ)"
	@echo "make bench-chat   conversations over REST at 1/10/50 concurrent users: turns/s, latency, CPU and memory"

.venv/.installed: pyproject.toml requirements/app.lock scripts/install-app
	scripts/install-app

.venv-rasa/.installed: requirements/rasa.lock scripts/install-rasa
	scripts/install-rasa

install: .venv/.installed .venv-rasa/.installed
	scripts/install-web

# what only the tests need: Request Tracker 5 (Debian packages) and Debian's chromium
test-deps:
	scripts/install-rt
	scripts/install-browser
	scripts/install-haproxy

train: install
	$(VENV)/python -c "from core.settings import load_settings; from helpdesk.launcher import train_if_needed; train_if_needed(load_settings())"

kb-index: install
	$(VENV)/helpdesk kb build

run: install
	$(VENV)/helpdesk run

# several Rasa processes behind HAProxy with Redis, PostgreSQL and RabbitMQ (settings.yml scale:)
run-scaled: install
	scripts/install-haproxy
	$(VENV)/helpdesk run --scale

test: install test-deps
	$(VENV)/python -m pytest -v -rA --durations=10

# Benchmarks and evaluations (figures, not pass/fail tests)
bench-lang: install
	$(VENV)/python -m helpdesk.evaluation.langid

eval-nlu: install
	$(VENV)/python -m helpdesk.evaluation.nlu   # held-out eval/nlu; --split for the old 80/20 mode

bench-nlu: install
	$(VENV)/python -m helpdesk.evaluation.nlu_latency   # [--model models/x.tar.gz] [-n 500]

SET ?= test
eval-conversations: install
	$(VENV)/python -m helpdesk.evaluation.conversations --set $(SET)   # SET=dev for tuning; the test set is sealed

eval-since: install
	$(VENV)/python -m helpdesk.evaluation.since   # our time expressions vs dateparser

eval-kb: install
	$(VENV)/python -m helpdesk.evaluation.kb

bench-kb: install
	$(VENV)/python -m helpdesk.evaluation.kb_bench

# conversations over REST at concurrency 1, 10, 50 against the default and the scaled setup
# (docs/performance.md); BENCH_ARGS e.g. "--seconds 20" or "--url peer=http://127.0.0.1:5006/webhooks/rest/webhook"
bench-chat: install
	scripts/install-haproxy
	$(VENV)/python -m helpdesk.evaluation.chat_bench $(BENCH_ARGS)

.PHONY: help install test-deps train kb-index run test bench-lang eval-nlu bench-nlu eval-conversations eval-since eval-kb bench-kb bench-chat run-scaled
