# digitrec: `make serve` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ../shared/mnist
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install serve test lint format bench fuzz train train-photos train-mlp clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[train,dev,batch]"
	touch $(STAMP)

install: $(STAMP)  ## .venv with serving, training, batch (Ray) and development dependencies

serve: install  ## serve the bundled model on http://$(HOST):$(PORT) under gunicorn
	$(BIN)/digitrec serve --host $(HOST) --port $(PORT)

test: lint  ## lint, then every test (browser tests need /usr/bin/chromium: see .ci/run)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## benchmarks against $(DATA); prints the README's table
	$(BIN)/python bench/run.py --data-dir $(DATA)

fuzz: install  ## the long fuzz run: 10,000+ cases over decode, preprocess and the API
	DIGITREC_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest tests/test_fuzz.py -p no:randomly -q

train: install  ## retrain the bundled model: 2 CNN members (about 25 min each on 2 idle cores), 3 epochs of fine-tuning (about 9 min), 3 more with photo-like digits (about 15 min), 2 more at a lower rate (about 6 min)
	$(BIN)/digitrec train --arch cnn --members 2 --data-dir $(DATA) --out runs/cnn --record-test-accuracy
	$(BIN)/digitrec train --init-from runs/cnn/model.keras --epochs 3 --data-dir $(DATA) --out runs/cnn-tuned
	$(BIN)/digitrec train --init-from runs/cnn-tuned/model.onnx --epochs 3 --wild-digits 0.5 --data-dir $(DATA) --out runs/cnn-wild
	$(BIN)/digitrec train --init-from runs/cnn-wild/model.onnx --epochs 2 --wild-digits 0.5 --learning-rate 1e-4 --data-dir $(DATA) --out runs/cnn-hands

train-photos: install  ## the photos model: 2 more CNN members with photo-like digits (about 40 min each on 2 idle cores), joined with the bundled pair (seconds)
	$(BIN)/digitrec train --arch cnn --members 1 --epochs 14 --seed 2 --wild-digits 0.5 --data-dir $(DATA) --out runs/cnn-seed2-wild
	$(BIN)/digitrec train --arch cnn --members 1 --epochs 14 --seed 3 --wild-digits 0.5 --data-dir $(DATA) --out runs/cnn-seed3-wild
	$(BIN)/digitrec train --join src/digitrec/models/model.onnx --join runs/cnn-seed2-wild/model-float32.onnx --join runs/cnn-seed3-wild/model-float32.onnx --data-dir $(DATA) --out runs/photos

train-mlp: install
	$(BIN)/digitrec train --arch mlp --data-dir $(DATA) --out runs/mlp

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache test-artifacts
