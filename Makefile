# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/vite.widget.config.ts web/tsconfig.json web/codegen.ts schema.graphql -type f -not -path 'web/src/graphql/generated/*' 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install web lint typecheck schema services chromium clean

run: install web
	$(BIN)/godark migrate
	$(BIN)/godark serve

test: install services chromium lint typecheck web
	$(BIN)/pytest

install: $(PY_STAMP) $(WEB_STAMP)

$(PY_STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: web/dist/index.html

web/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run build

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(PY_STAMP) $(WEB_STAMP)
	$(BIN)/mypy
	cd web && npm run typecheck

# Regenerate schema.graphql after an API change (the tests fail while it is stale).
schema: $(PY_STAMP)
	$(BIN)/strawberry export-schema api.schema:schema --output schema.graphql

# PostgreSQL and Redis of this machine; started when they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "PostgreSQL or Redis did not start" >&2; exit 1

# Debian's Chromium for the browser tests; Playwright never downloads one.
chromium:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver)

clean:
	rm -rf $(VENV) web/node_modules web/dist var .mypy_cache .ruff_cache .pytest_cache
