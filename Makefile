# kaohe build entry points.  `make test` from a fresh clone creates .venv from requirements.lock.

SHELL := /bin/bash

# Interpreter used only to create the virtualenv: python3.11 if present, else python3.
PYTHON_BOOT ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV        ?= .venv
PY          ?= $(VENV)/bin/python
PIP         ?= $(VENV)/bin/pip
KAOHE       ?= $(VENV)/bin/kaohe
RUFF        ?= $(VENV)/bin/ruff
PYTEST_ARGS ?=

# Lock tooling lives in its own venv so the project venv stays exactly what the lock says.
TOOLS       ?= .tools
UV_VERSION  ?= 0.13.9
UV          ?= $(TOOLS)/bin/uv

STAMP := $(VENV)/.installed

.PHONY: venv test reports lab lint lock clean

venv: $(STAMP)

# The package is byte-compiled at install: the cache is read even where
# PYTHONDONTWRITEBYTECODE keeps Python from writing it, so no command (a no-change rebuild
# included) compiles kaohe's modules again.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet -r requirements.lock
	$(PIP) install --quiet -e . --no-deps
	$(PY) -m compileall -q kaohe
	$(PY) -m ipykernel install --sys-prefix --name kaohe --display-name "kaohe (Python 3.11)"
	touch $@

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# Every bundled scheme-year: bulletin (通报), one feedback report per unit (反馈) and index pages,
# HTML without code, under reports/ (open reports/index.html).  Scores each scheme-year once.
reports: venv
	@set -e; \
	files=$$(ls params/*/*.yaml 2>/dev/null || true); \
	if [ -z "$$files" ]; then echo "no params/*/*.yaml found" >&2; exit 1; fi; \
	$(KAOHE) build $$files --out reports

# JupyterLab on notebooks/ with the project's environment; the notebooks use the `kaohe` kernel
# that `make venv` registers in .venv (run them top to bottom with their default parameters).
# LAB_ARGS for more options (LAB_ARGS="--no-browser --port 8890"); root needs --allow-root.
LAB_ARGS ?=
lab: venv
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# ruff (style, unused names and arguments) and mypy (strict on the rule classes, the rubric
# and the report plan, keys and executors; default settings elsewhere; see pyproject.toml)
lint: venv
	$(RUFF) check $(wildcard kaohe tests benchmarks)
	$(VENV)/bin/mypy

$(UV):
	$(PYTHON_BOOT) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# Regenerate the exact pins (runtime + dev, all transitive deps) for CPython 3.11 on Linux x86_64:
#   uv pip compile pyproject.toml --extra dev --python-version 3.11 \
#      --python-platform x86_64-unknown-linux-gnu -o requirements.lock
# Add --upgrade (make lock LOCK_ARGS=--upgrade) to move to newer releases; afterwards bring the
# >= bounds in pyproject.toml and the pins in environment.yml in line (tests/test_environment.py checks).
LOCK_ARGS ?=
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" \
	  $(LOCK_ARGS) -o requirements.lock

clean:
	rm -rf reports $(VENV)
