# Two commands do everything on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := $(firstword $(wildcard ../shared/wheels) $(wildcard shared/wheels))
# llama-cpp-python has no Linux wheel on PyPI; where no prebuilt wheel folder exists pip builds it
# with these flags (a native build crashes with "illegal instruction" on some CPUs).
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_CURL=OFF
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
APT_PACKAGES := chromium fonts-ipaexfont-gothic poppler-utils tesseract-ocr tesseract-ocr-jpn

.PHONY: setup system-deps serve test lint corpus selector bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(if $(WHEELS),--find-links $(WHEELS)) -e '.[llm,hf,dev]'
	touch $@

setup: system-deps $(BIN)/.installed

# Debian packages for the PDF font, the browser tests, PDF previews and OCR (installed when missing).
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

serve: setup
	$(BIN)/policy-qa serve

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .

corpus: $(BIN)/.installed
	$(BIN)/python -m corpus.build_pdfs

# The evidence selector (assistant/models/): the shipped candidate trees kept, the answerability
# model refitted on JaQuAD train and the real-PDF tuning sets, its refusal threshold chosen on
# JaQuAD dev and those sets, its table-row threshold on them (eval/table_threshold.py); reads
# ../shared/data/jaquad and ../shared/realpdfs. Without --keep-candidates the trees are refitted too.
selector: $(BIN)/.installed
	$(BIN)/python -m eval train-selector --keep-candidates

bench: $(BIN)/.installed
	$(BIN)/python bench/ingest_search.py
	$(BIN)/python bench/answer_latency.py

clean:
	rm -rf var .pytest_cache
