# IP Town — the two commands: `make run` (set up and serve the demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test install translations lint clean-db

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel --quiet compile -d translations

## Create the venv, install, migrate, seed the demo market and serve http://127.0.0.1:5000
## with the local Stripe sandbox on 127.0.0.1:8420 (pay with the test card 4242 4242 4242 4242)
run: translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	$(BIN)/flask payments sandbox --port 8420 --webhook http://127.0.0.1:5000/payments/stripe/webhook & \
	  sandbox=$$!; trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM; \
	  MARKETPLACE_STRIPE_API_BASE=http://127.0.0.1:8420 $(BIN)/flask run --host 127.0.0.1 --port 5000

## Install the test dependencies and run the whole suite on SQLite, then on PostgreSQL
test: translations
	$(BIN)/python scripts/run_tests.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-db:
	rm -f instance/marketplace.sqlite3
