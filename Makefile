# Two commands do all set-up (see README):
#   make demo   install PicTag into .venv and run the demo
#   make test   install PicTag with test dependencies into .venv and run the tests
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

ULTRALYTICS ?= ultralytics==8.4.190

.PHONY: demo test install install-test install-train lint

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .

install-test: $(PY)
	$(PY) -m pip install --quiet -e '.[test]'

# Training/export extra (torch CPU, nncf) and Ultralytics without its conflicting dependencies.
install-train: $(PY)
	$(PY) -m pip install --quiet -e '.[train]'
	$(PY) -m pip install --quiet --no-deps '$(ULTRALYTICS)'

demo: install
	$(VENV)/bin/pictag demo

test: install-test install-train
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check pictag actors serve models tests
