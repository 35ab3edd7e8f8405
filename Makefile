# Switchboard: the two commands a fresh Debian machine needs.
#   make run    installs system packages if missing, builds, and opens the Switchboard console
#   make test   installs system packages if missing and runs the whole test suite (swift test)

SWIFT ?= swift
ARGS ?= console

.PHONY: run test build deps clean

deps:
	@./scripts/install-system-deps.sh

build: deps
	$(SWIFT) build

run: build
	@$(SWIFT) run --skip-build switchboard config check || true
	$(SWIFT) run --skip-build switchboard $(ARGS)

test: deps
	$(SWIFT) test

clean:
	$(SWIFT) package clean
