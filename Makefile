# One entry point for a newcomer and for CI: `make demo`, `make test`, `make lint`.
# Everything installs into .venv at the repository root; a stamp file makes a second
# `make install` free when no requirement changed.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
PKGS   := packages/dlm_core packages/tasks_recognition packages/tasks_detection packages/tasks_segmentation packages/dlm_bench
CONSTR := -c requirements/constraints.txt
PYTEST_ARGS ?=
# the full protocol (configs' own schedules, validation-chosen checkpoints and learning
# rates, 3-5 seeds); REPRODUCE_ARGS=--quick for one primary, full fine-tuning vs DLM
REPRODUCE_ARGS ?=

.PHONY: install test test-fast demo reproduce lint clean

install: $(STAMP)

$(STAMP): requirements/*.txt $(addsuffix /pyproject.toml,$(PKGS)) pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q $(CONSTR) torch==2.13.0 numpy
	# torch asks for setuptools >= 77, mmcv's setup.py for pkg_resources: downgrade for
	# the build only (pip warns); the stack install below brings setuptools back up.
	$(PIP) install -q -r requirements/build.txt
	# mmcv's compiled ops (mmcv.ops) are built from the sdist against the torch above;
	# pip caches the wheel, so only the first build on a machine costs ~11 minutes.
	MMCV_WITH_OPS=1 MAX_JOBS=2 $(PIP) install $(CONSTR) --no-build-isolation mmcv==2.1.0
	$(PIP) install -q $(CONSTR) -r requirements/stack.txt -r requirements/dev.txt
	$(PIP) install -q $(CONSTR) --no-build-isolation --no-deps $(addprefix -e ,$(PKGS))
	$(PY) -c "import mmcv.ops, mmdet, dlm_core, tasks_recognition, tasks_detection, tasks_segmentation, mmaction.models"
	touch $@

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Everything but the end-to-end runs marked slow.
test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

demo: install
	$(PY) tools/demo.py

# The paper's Tables 1-2 and Fig. 3 on the demo benchmark (package dlm_bench): trains and
# tests every run that is missing (resumable; see tools/reproduce.py --help), then writes
# docs/results.json, docs/results.md and its figures. E.g. REPRODUCE_ARGS='--quick --dry-run'
reproduce: install
	$(PY) tools/reproduce.py $(REPRODUCE_ARGS)

lint: install
	$(VENV)/bin/pre-commit run --all-files

clean:
	rm -rf $(VENV) work_dirs data/demo data/bench .pytest_cache .ruff_cache
