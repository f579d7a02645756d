# Two commands: `make demo` (forecast the bundled Australian retail data) and `make test`.
# Each creates or refreshes .venv by itself. torch==2.13.0 is installed first: that CPU build
# lies on this machine's disk; a looser spec pulls a multi-GB CUDA build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m tsauto.demo

# Two test processes, a test file each at a time (its module fixtures fitted once): the suite
# waits on worker processes and deadlines much of the time, and ran on one core (848 s against
# 692 s beside a second job on 2 cores).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/bench_global.py

clean:
	rm -rf $(VENV)
