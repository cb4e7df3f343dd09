# Two commands on a fresh machine: `make run` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The GTK/AppIndicator tray backends need PyGObject, which builds only where the
# GObject-introspection headers are installed (.ci/run installs them); without them the
# app uses the xorg backend and those tests skip with a reason.
# The D-Bus presence tests run mock services from python-dbusmock, whose dbus-python builds
# against libdbus and whose mocks need PyGObject; without them those tests skip with a reason.
GTK    := $(shell pkg-config --exists gobject-introspection-1.0 cairo 2>/dev/null && echo ,gtk)
DBUS   := $(if $(GTK),$(shell pkg-config --exists dbus-1 2>/dev/null && echo ,dbusmock))
EXTRAS := dev$(GTK)$(DBUS)

.PHONY: run test lint typecheck pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("posturebreak needs Python 3.10 or newer" if sys.version_info < (3, 10) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/posturebreak run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/vulture posturebreak tools/vulture_whitelist.py --min-confidence 60

typecheck: $(STAMP)
	$(BIN)/mypy --strict posturebreak

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
