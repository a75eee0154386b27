# Tollgate: `make demo` shows the whole flow, `make test` runs every suite.
#
# Targets that need system packages install them when run as root on Debian (see `deps`).

CARGO ?= cargo
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15
NIGHTLY := $(shell rustup toolchain list 2>/dev/null | grep -q '^nightly' && echo yes)
FUZZ_TARGETS := verify claims jwks base64_differential

.PHONY: all build test lint fmt-check clippy rust-test nostd fuzz fuzz-smoke fuzz-seed bench

all: build

build:
	$(CARGO) build --workspace --release

## The full suite: what CI runs.
test: lint rust-test nostd fuzz-smoke

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace

## The core without std or an allocator: a bare-metal build, and a host no_std staticlib whose
## symbols must name neither std nor an allocator.
nostd:
	rustup target list --installed | grep -q thumbv7em-none-eabihf || rustup target add thumbv7em-none-eabihf
	$(CARGO) build -p tollgate --release --target thumbv7em-none-eabihf
	$(CARGO) build --release --manifest-path tests/nostd/Cargo.toml
	scripts/check-nostd-symbols tests/nostd/target/release/libtollgate_nostd_check.a

fuzz-seed:
	fuzz/seed.sh

## A bounded run of every fuzz target (needs the nightly toolchain; skipped without it).
fuzz-smoke: fuzz-seed
ifeq ($(NIGHTLY),yes)
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  $(CARGO) +nightly fuzz run -O $$t corpus/$$t -- -max_total_time=$(FUZZ_SMOKE_SECONDS) || exit 1; \
	done
else
	@echo "fuzz-smoke: no nightly toolchain, skipped"
endif

## Long fuzzing runs: FUZZ_SECONDS per target.
fuzz: fuzz-seed
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  $(CARGO) +nightly fuzz run -O $$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

## criterion benches of the core, each next to its floor; prints ratios at the end.
bench:
	$(CARGO) bench --bench verify
	$(CARGO) bench --bench allocations
