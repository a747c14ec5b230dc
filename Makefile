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

# Lint and type gate (run by .ci/run before the tests). mypy checks the installed layout
# (actors/, serve/, models/ are pictag.actors, pictag.serve, pictag.models): a throw-away tree of
# symlinks gives it that layout, which it cannot read from the editable install.
TYPECHECK_TREE := $(abspath $(VENV))/typecheck
lint: install-test install-train
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	rm -rf $(TYPECHECK_TREE) && mkdir -p $(TYPECHECK_TREE)/pictag
	for entry in pictag/*; do ln -s "$(CURDIR)/$$entry" $(TYPECHECK_TREE)/pictag/; done
	for pkg in actors serve models; do ln -s "$(CURDIR)/$$pkg" $(TYPECHECK_TREE)/pictag/$$pkg; done
	cd $(TYPECHECK_TREE) && $(abspath $(PY)) -m mypy --strict --config-file $(CURDIR)/pyproject.toml pictag
