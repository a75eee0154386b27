# Tollgate: `make demo` shows the whole flow, `make test` runs every suite.
#
# Targets that need system packages install them when run as root on Debian (see `deps`).

CARGO ?= cargo
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
BUILD := $(CURDIR)/build
RELEASE := $(CURDIR)/target/release
# What Rust's std needs from the system when libtollgate.a is linked statically
# (`cargo rustc --crate-type staticlib -- --print native-static-libs`).
STATIC_DEPS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15
NIGHTLY := $(shell rustup toolchain list 2>/dev/null | grep -q '^nightly' && echo yes)
FUZZ_TARGETS := verify claims jwks base64_differential

.PHONY: all build lib install nginx-module nginx-test demo bench-nginx count-nginx-instructions bench-issuer test lint fmt-check clippy rust-test rsa-limb32 nostd fuzz fuzz-smoke fuzz-seed bench c-test embedded-demo embedded-test embedded-measure embedded-lint

all: build

build:
	$(CARGO) build --workspace --release

## libtollgate.a, libtollgate.so and tollgate.pc under target/release.
lib:
	$(CARGO) build -p tollgate-ffi --release
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_DEPS@|$(STATIC_DEPS)|' ffi/tollgate.pc.in > $(RELEASE)/tollgate.pc

## Installs the C library as packagers expect (cargo-c layout): PREFIX, LIBDIR, INCLUDEDIR, DESTDIR.
install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 644 include/tollgate.h $(DESTDIR)$(INCLUDEDIR)/tollgate.h
	install -m 644 $(RELEASE)/libtollgate_ffi.a $(DESTDIR)$(LIBDIR)/libtollgate.a
	install -m 755 $(RELEASE)/libtollgate_ffi.so $(DESTDIR)$(LIBDIR)/libtollgate.so.$(VERSION)
	ln -sf libtollgate.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libtollgate.so.$(SOVERSION)
	ln -sf libtollgate.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libtollgate.so
	install -m 644 $(RELEASE)/tollgate.pc $(DESTDIR)$(LIBDIR)/pkgconfig/tollgate.pc

## The nginx dynamic module, against Debian's nginx-dev: build/nginx/objs/ngx_http_tollgate_module.so
nginx-module:
	$(MAKE) install PREFIX=$(BUILD)/prefix
	scripts/build-nginx-module

## The gateway end to end: issuer, nginx with the module, backend; reload, valgrind.
nginx-test: nginx-module
	TOLLGATE_NGINX_MODULE=$(BUILD)/nginx/objs/ngx_http_tollgate_module.so \
	  $(CARGO) test -p tollgate-nginx-tests

## The client-credentials flow through nginx on loopback, explained as it runs.
demo:
	scripts/demo

## wrk on loopback, one nginx worker: plain proxy, the module (HS256, EdDSA), auth_request.
bench-nginx: nginx-module
	scripts/bench-nginx

count-nginx-instructions: nginx-module
	scripts/count-nginx-instructions

## The full suite: what CI runs.
test: lint rust-test rsa-limb32 nostd c-test nginx-test fuzz-smoke embedded-test

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace --exclude tollgate-nginx-tests

## The RSA arithmetic on 32-bit words (as on Cortex-M), tested on this 64-bit host.
rsa-limb32:
	RUSTFLAGS="--cfg tollgate_limb32" CARGO_TARGET_DIR=$(CURDIR)/target/limb32 $(CARGO) test -p tollgate --lib alg::rsa

## The core without std or an allocator: bare-metal builds of each feature (alone on top of EdDSA
## and HS256, then all together), each checked for std and allocator symbols and measured in
## flash; a host no_std staticlib checked the same way; and a control that std is still seen.
NOSTD_TARGET := thumbv7em-none-eabihf
NOSTD_LIB := tests/nostd/target/$(NOSTD_TARGET)/release/libtollgate_nostd_check.a
NOSTD_FEATURES := none ed25519-tables p256 p384 rsa all
nostd:
	rustup target list --installed | grep -q $(NOSTD_TARGET) || rustup target add $(NOSTD_TARGET)
	$(CARGO) build -p tollgate --release --target $(NOSTD_TARGET)
	$(CARGO) build -p tollgate --release --target $(NOSTD_TARGET) --no-default-features
	for f in $(NOSTD_FEATURES); do \
	  case $$f in \
	    none) features=; symbols=;; \
	    p256) features=p256; symbols='ecdsa::p256::public_key';; \
	    p384) features=p384; symbols='ecdsa::p384::public_key';; \
	    rsa) features=rsa; symbols='alg::rsa::verify';; \
	    all) features=all; symbols='ecdsa::p256::public_key ecdsa::p384::public_key alg::rsa::verify';; \
	    *) features=$$f; symbols=;; \
	  esac; \
	  $(CARGO) build -q --release --manifest-path tests/nostd/Cargo.toml --target $(NOSTD_TARGET) \
	    --no-default-features --features "$$features" || exit 1; \
	  scripts/check-nostd-symbols $(NOSTD_LIB) $$symbols || exit 1; \
	  scripts/nostd-code-size "$(NOSTD_TARGET) $$f" $(NOSTD_LIB) || exit 1; \
	done
	$(CARGO) build --release --manifest-path tests/nostd/Cargo.toml
	scripts/check-nostd-symbols tests/nostd/target/release/libtollgate_nostd_check.a
	$(CARGO) build -p tollgate-ffi --release
	scripts/check-nostd-symbols --expect $(RELEASE)/libtollgate_ffi.a

## The firmware on QEMU's Cortex-M4F (mps2-an386): every vector verified on the target, each
## verdict printed by name with its stack and instruction count. Installs QEMU and the target.
embedded-demo:
	scripts/install-deps embedded
	scripts/embedded-measure --demo

## The feature sets of embedded/feature-sets.tsv that `make test` runs: the three budgeted
## EdDSA + HS256 sets and `all`, so every algorithm is verified on the Cortex-M4F and both targets
## build and run; every verdict and every budget checked. The single-algorithm sets add no
## algorithm and a build each: `make embedded-measure` runs them.
EMBEDDED_TEST_SETS := eddsa-hs256 eddsa-hs256-compact eddsa-hs256-small all
embedded-test: embedded-lint
	scripts/embedded-measure $(EMBEDDED_TEST_SETS)

## Every feature set of embedded/feature-sets.tsv built, run on QEMU and measured: the README's
## table, also written to embedded/target/measurements.md.
embedded-measure: embedded-lint
	scripts/embedded-measure

## The firmware crate is its own workspace: format and clippy for both of its targets.
embedded-lint:
	scripts/install-deps embedded
	$(CARGO) fmt --manifest-path embedded/Cargo.toml -- --check
	for t in thumbv7em-none-eabihf riscv32imac-unknown-none-elf; do \
	  $(CARGO) clippy --manifest-path embedded/Cargo.toml --target $$t --target-dir embedded/target/clippy \
	    --bins --features tollgate/ed25519-tables -- -D warnings || exit 1; \
	done

## C programs against the installed header and library, under ASan and UBSan.
c-test:
	rm -rf $(BUILD)/prefix
	$(MAKE) install PREFIX=$(BUILD)/prefix
	$(MAKE) -C tests/c PREFIX=$(BUILD)/prefix BUILD=$(BUILD)/c

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

## Issuing throughput with wrk on loopback, with and without the secret cache.
bench-issuer:
	scripts/bench-issuer

## criterion benches of the core, each next to its floor; prints ratios at the end.
bench:
	$(CARGO) bench --bench verify
	$(CARGO) bench --bench allocations
	$(CARGO) bench --bench stack
	$(CARGO) bench -p tollgate-ffi --bench ffi
