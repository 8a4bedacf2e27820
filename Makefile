# LEKO: `make run` starts the platform, `make test` runs every test. Needs Python 3.11+ and make.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
SYNC := $(UV) sync --frozen --python $(PYTHON)

.PHONY: install run demo test lint format bench clean

# uv comes from PyPI into a private virtualenv when the machine has none.
.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

install: $(UV)
	@$(SYNC)

run: install
	$(UV) run --frozen leko run

demo: install
	$(UV) run --frozen leko run --demo

test: install
	$(UV) run --frozen pytest

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: install
	bash bench/run

clean:
	rm -rf .venv .tools .data
