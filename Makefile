# Backprop, by hand. `make book` builds the site, `make test` runs every test.
# Every target creates .venv from requirements.txt when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
JOBS   ?= 2
# make book SOLUTIONS=hide leaves exercise solutions out of the site (default: shown, collapsed).
SOLUTIONS ?= show
# Jupyter refuses to run as root unless told; CI containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help learn setup book test lint unit notebooks site-build site-test lab serve clean freeze student grade bench outputs

help:
	@echo "make learn  your own copy of the course in my-work/ (exercises to do), in JupyterLab"
	@echo "make book   build the course website into _build/html"
	@echo "make test   unit tests, notebooks (nbval), strict book build, browser tests"
	@echo "make lab    JupyterLab on notebooks/ (solutions filled in), live widgets"
	@echo "make serve  serve _build/html on http://127.0.0.1:$(PORT)"
	@echo "make student               release student notebooks into student/"
	@echo "make grade SUBMISSIONS=dir [JOBS=n|CLUSTER=addr] [RESUME=1]  grade submissions (sandboxed) into grades/grades.csv"
	@echo "make book SOLUTIONS=hide   build the site without exercise solutions"
	@echo "make bench                 speed against PyTorch and micrograd; rewrites book/performance.md"
	@echo "make outputs [NB=file]     re-run chapters and store their outputs (after editing one)"

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# KaTeX (npm) typesets the site's math while the book is built; only `make book` needs Node.js.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Building the site needs Node.js (npm): KaTeX typesets its math at build time."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

book: $(STAMP) $(NODE_STAMP)
	BP_SOLUTIONS=$(SOLUTIONS) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html: open _build/html/index.html, or run 'make serve'."

test: lint unit notebooks site-build site-test

lint: $(STAMP)
	$(BIN)/ruff check bplib tests benchmarks _ext

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not site" -n $(JOBS) --dist loadfile -q

notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		-p no:cacheprovider -n $(JOBS) --dist loadfile notebooks -q

site-build: book

site-test: $(STAMP)
	$(BIN)/python -m pytest tests/site -m site -q

# A self-learner's own copy: student versions in my-work/ (edited copies kept), JupyterLab there.
learn: $(STAMP)
	$(BIN)/python -m bplib.course start --out my-work
	$(BIN)/jupyter lab --notebook-dir=my-work --ip=127.0.0.1 $(ROOT_FLAG)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 $(ROOT_FLAG)

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first."; exit 1; }
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 $(PORT)

# Re-pin requirements.txt from the current environment (after an intentional upgrade).
freeze: $(STAMP)
	{ sed -n '1,2p' requirements.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e '; echo '-e .'; } > requirements.tmp
	mv requirements.tmp requirements.txt

# Student versions of every chapter (solutions stubbed, hidden tests removed) in student/.
student: $(STAMP)
	$(BIN)/python -m bplib.course release notebooks --out student

# Autograde SUBMISSIONS/<student>/<notebook>.ipynb into grades/grades.csv (+ grades/feedback/).
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "Usage: make grade SUBMISSIONS=path/to/submissions"; exit 1; }
	$(BIN)/python -m bplib.course grade $(SUBMISSIONS) --out grades/grades.csv $(if $(JOBS),--jobs $(JOBS)) $(if $(CLUSTER),--cluster $(CLUSTER)) $(if $(RESUME),--resume)

# After editing a chapter: re-run it and store its outputs, which make test then compares with.
# A chapter whose cells fail is left untouched. NB=notebooks/04_computing_gradients.ipynb for one.
NB ?= notebooks/*.ipynb
outputs: $(STAMP)
	$(BIN)/python -m bplib.course rerun $(NB)

# Benchmarks (about 8 minutes; PyTorch and micrograd are optional: pip install torch==2.13.0 micrograd),
# then book/performance.md and book/figures/performance.png from benchmarks/results/*.json.
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# Only build output: student/ and grades/ may hold people's work and are never deleted here.
clean:
	rm -rf _build .pytest_cache
