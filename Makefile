# Gongjian (共建): `make up` runs the whole system with demo data; `make test` runs every test.
# Both install what is missing first: uv (from PyPI), the Python workspace, the gateway's npm deps.

PYTHON ?= python3
UV := $(PYTHON) -m uv
NPM ?= npm

.PHONY: up test install python-deps gateway-deps lint compose check-compose bench chaos clean

up: install
	$(UV) run gongjian up

test: install lint
	$(UV) run pytest

install: python-deps gateway-deps

python-deps:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --quiet

gateway-deps: gateway/node_modules/.package-lock.json

gateway/node_modules/.package-lock.json: gateway/package.json gateway/package-lock.json
	cd gateway && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check libs services deploy tests bench
	$(UV) run mypy

# Print each subgraph's SDL from code, compose the supergraph from the SDL files, and
# regenerate the AsyncAPI document of the events from their JSON Schemas.
compose: install
	for s in organizations activities evaluation; do \
	  $(UV) run strawberry export-schema gongjian_$$s.graphql.schema:schema \
	    --output services/$$s/schema.graphql; done
	cd gateway && node compose.mjs
	$(UV) run python -m gongjian_deploy.asyncapi > docs/asyncapi.json

bench: install
	$(UV) run python bench/run_all.py
	$(UV) run python bench/coverage_scale.py
	$(UV) run python bench/consumer_throughput.py
	$(UV) run python bench/dashboard.py

# Fault injection, long run: kill -9 of consumers (50 times), a 30 s broker outage, a PostgreSQL
# restart, poison and oversized events, two replicas; prints the figures of each scenario.
chaos: install
	$(UV) run python -m gongjian_deploy.chaos --long

clean:
	rm -rf .gongjian .venv gateway/node_modules
