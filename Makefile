# Two commands do all set-up (see README):
#   make demo   install PicTag into .venv and run the demo
#   make test   install PicTag with test dependencies into .venv and run the tests
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test install install-test lint

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .

install-test: $(PY)
	$(PY) -m pip install --quiet -e '.[test]'

demo: install
	$(VENV)/bin/pictag demo

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check pictag actors serve models tests
