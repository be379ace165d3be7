# zchat - one non-recursive makefile for both tiers, their tests and tools.
#
#   make run            build, then start a router and a gateway (telnet localhost 8080)
#   make test           install what is missing, build, run unit + integration tests
#   make test SANITIZE=address,undefined    the same under ASan/UBSan (own build dir)
#   make test-root      the integration tests that need root (a full disk)
#   make bench          the benchmark against ngIRCd (bench/bench.mk)
#   make fuzz           libFuzzer targets, FUZZ_SECONDS each (fuzz/fuzz.mk)
#
# Adding a module is adding its .c file: every tier is a wildcard, its
# objects go into a static library, and the tier's binary and unit tests
# link against that library.

CC       ?= cc
CFLAGS   ?= -O2 -g
WARNINGS := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Werror
SANITIZE ?=
comma    := ,

ifeq ($(SANITIZE),)
BUILD    := build
BIN      := bin
else
BUILD    := build/sanitize-$(subst $(comma),-,$(SANITIZE))
BIN      := $(BUILD)/bin
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# The dependency stamp: install-deps.sh runs once per machine, before any
# pkg-config call can be trusted, and again whenever its package list
# changes (the stamp is named after the script's checksum).
# NO_DEPS=1 skips it where the packages come another way (the Dockerfile).
DEPS_STAMP := build/.deps-ok-$(firstword $(shell cksum < scripts/install-deps.sh 2>/dev/null))
ifneq ($(MAKECMDGOALS),clean)
ifeq ($(NO_DEPS),)
ifeq ($(wildcard $(DEPS_STAMP)),)
$(shell mkdir -p build && sh scripts/install-deps.sh >&2 && touch $(DEPS_STAMP))
endif
endif
endif

PKGS     := libczmq libzmq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The router alone also links SQLite (its history store)
ROUTER_PKGS := sqlite3
PKG_CFLAGS  += $(shell pkg-config --cflags $(ROUTER_PKGS) 2>/dev/null)
ROUTER_PKG_LIBS := $(shell pkg-config --libs $(ROUTER_PKGS) 2>/dev/null)
# The gateway alone links OpenSSL (its TLS port, and the SHA-1 of the
# WebSocket handshake), and so do the programs that speak TLS to it: the
# integration tests and the load generator. It also links wslay
# (WebSocket frames; Debian ships no .pc for it, its header is in the
# default path)
GATEWAY_PKGS := libssl libcrypto
PKG_CFLAGS  += $(shell pkg-config --cflags $(GATEWAY_PKGS) 2>/dev/null)
TLS_LIBS    := $(shell pkg-config --libs $(GATEWAY_PKGS) 2>/dev/null)
GATEWAY_PKG_LIBS := -lwslay $(TLS_LIBS)
TEST_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

ALL_CFLAGS := $(CFLAGS) $(WARNINGS) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

# --- sources --------------------------------------------------------------
COMMON_SRC  := $(wildcard common/*.c)
GATEWAY_SRC := $(filter-out gateway/main.c,$(wildcard gateway/*.c))
ROUTER_SRC  := $(filter-out router/main.c,$(wildcard router/*.c))
CTL_SRC     := $(wildcard ctl/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

COMMON_LIB  := $(BUILD)/libcommon.a
GATEWAY_LIB := $(BUILD)/libgateway.a
ROUTER_LIB  := $(BUILD)/librouter.a

GATEWAY_BIN := $(BIN)/zchat-gateway
ROUTER_BIN  := $(BIN)/zchat-router
CTL_BIN     := $(BIN)/zchat-ctl

UNIT_SRC    := $(wildcard tests/unit/common/test_*.c tests/unit/gateway/test_*.c \
                          tests/unit/router/test_*.c)
UNIT_BIN    := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
# Integration tests that need root (they mount a file system) run in
# make test-root, which .ci/run runs as root; each fails, never skips,
# without it.
INTEG_ROOT_SRC := tests/integration/42_history_disk_full.c
INTEG_ROOT_BIN := $(patsubst %.c,$(BUILD)/%,$(INTEG_ROOT_SRC))
INTEG_SRC   := $(filter-out $(INTEG_ROOT_SRC),$(sort $(wildcard tests/integration/[0-9][0-9]_*.c)))
INTEG_BIN   := $(patsubst %.c,$(BUILD)/%,$(INTEG_SRC))
HARNESS_OBJ := $(call obj,$(wildcard tests/integration/harness*.c))

.PHONY: all gateway router ctl check integration test test-root run clean format deps \
        test-schema
.DEFAULT_GOAL := all
# Test objects are intermediates of pattern rules; keep them so a second
# `make test` does not rebuild every test.
.SECONDARY:

all: gateway router ctl
gateway: $(GATEWAY_BIN)
router: $(ROUTER_BIN)
ctl: $(CTL_BIN)

deps:
	sh scripts/install-deps.sh && touch $(DEPS_STAMP)

# --- compile and link -----------------------------------------------------
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# A test sees its own tier's private headers only (both tiers have, say,
# a sessions.h of their own).
$(BUILD)/tests/unit/gateway/%.o: TIER_INCLUDE := -Igateway
$(BUILD)/tests/unit/router/%.o: TIER_INCLUDE := -Irouter
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(TIER_INCLUDE) -c $< -o $@

# The chat page (web/*) is compiled in: scripts/web-assets.sh makes a C
# table of it (gateway/web_assets.h), rebuilt whenever a file of web/ or
# the script changes, and linked into the gateway's library.
WEB_FILES   := $(wildcard web/*)
WEB_TABLE   := $(BUILD)/gen/web_assets_table.c
WEB_OBJ     := $(BUILD)/gen/web_assets_table.o
$(WEB_TABLE): scripts/web-assets.sh $(WEB_FILES)
	@mkdir -p $(dir $@)
	sh scripts/web-assets.sh web > $@.tmp && mv $@.tmp $@
$(WEB_OBJ): $(WEB_TABLE)
	$(CC) $(ALL_CFLAGS) -Igateway -c $< -o $@
# The unit test holds the table to the files of web/; the integration
# test links the same table and compares what a gateway serves with it
$(BUILD)/tests/unit/gateway/test_web_assets.o: TIER_INCLUDE += -DWEB_SOURCE_DIR='"$(abspath web)"'
$(BUILD)/tests/integration/65_page_assets.o: TIER_INCLUDE := -Igateway
$(BUILD)/tests/integration/65_page_assets: $(call obj,gateway/web_assets.c) $(WEB_OBJ)

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
$(GATEWAY_LIB): $(call obj,$(GATEWAY_SRC)) $(WEB_OBJ)
$(ROUTER_LIB): $(call obj,$(ROUTER_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(GATEWAY_BIN): $(call obj,gateway/main.c) $(GATEWAY_LIB) $(COMMON_LIB)
$(ROUTER_BIN): $(call obj,router/main.c) $(ROUTER_LIB) $(COMMON_LIB)
$(CTL_BIN): $(call obj,$(CTL_SRC)) $(COMMON_LIB)
$(ROUTER_BIN): TIER_LIBS := $(ROUTER_PKG_LIBS)
$(GATEWAY_BIN): TIER_LIBS := $(GATEWAY_PKG_LIBS)
$(GATEWAY_BIN) $(ROUTER_BIN) $(CTL_BIN):
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ $(TIER_LIBS) $(PKG_LIBS) -o $@

# A unit test links its tier's library (the linker pulls only what it
# uses) and the common library.
$(BUILD)/tests/unit/common/test_%: $(BUILD)/tests/unit/common/test_%.o $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) $(TEST_LIBS) -o $@
$(BUILD)/tests/unit/gateway/test_%: $(BUILD)/tests/unit/gateway/test_%.o $(GATEWAY_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(GATEWAY_PKG_LIBS) $(PKG_LIBS) $(TEST_LIBS) -o $@
$(BUILD)/tests/unit/router/test_%: $(BUILD)/tests/unit/router/test_%.o $(ROUTER_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(ROUTER_PKG_LIBS) $(PKG_LIBS) $(TEST_LIBS) -o $@
$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(HARNESS_OBJ) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(TLS_LIBS) $(PKG_LIBS) $(TEST_LIBS) -o $@

# --- tests ----------------------------------------------------------------
# run-tests.sh runs each program, then prints the cmocka totals last.
# The real telnet client in a pty (inetutils-telnet, python3): CJK and
# editing; its transcript goes to $(BUILD)/telnet-cjk-transcript.txt.
TEST_EXTRA_PROGRAMS += tests/telnet/telnet_cjk.py
# promtool on the deployment's alerting rules and Prometheus config
TEST_EXTRA_PROGRAMS += tests/prometheus/check.sh
# The chat page in Debian's chromium, driven by playwright-core (npm ci
# from the committed lock file; no browser download): two pages on two
# gateways and a telnet client; logs and screenshots in $(BUILD)/browser/
TEST_EXTRA_PROGRAMS += tests/browser/page_test.mjs
BROWSER_NODE_STAMP := tests/browser/node_modules/.package-lock.json
TEST_EXTRA += $(BROWSER_NODE_STAMP)
$(BROWSER_NODE_STAMP): tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
# WebSocket: HTTP answers, the handshake, raw frames, Debian's
# python3-websockets client, JSON events, close codes (tests/ws/)
TEST_EXTRA_PROGRAMS += tests/ws/ws_check.py
# ... and node's strict `ws` client, from the committed lock file
TEST_EXTRA_PROGRAMS += tests/ws/ws_node.js
WS_NODE_STAMP := tests/ws/node_modules/.package-lock.json
export ZCHAT_BIN_DIR := $(abspath $(BIN))
export ZCHAT_BUILD_DIR := $(abspath $(BUILD))
export ASAN_OPTIONS  := abort_on_error=1:detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1

check: $(UNIT_BIN)
	sh scripts/run-tests.sh unit $(UNIT_BIN)

integration: all $(INTEG_BIN)
	sh scripts/run-tests.sh integration $(INTEG_BIN)

test: all $(UNIT_BIN) $(INTEG_BIN) test-schema $(TEST_EXTRA) $(WS_NODE_STAMP)
	sh scripts/run-tests.sh all $(UNIT_BIN) $(INTEG_BIN) $(TEST_EXTRA_PROGRAMS)

test-root: all $(INTEG_ROOT_BIN)
	sh scripts/run-tests.sh root $(INTEG_ROOT_BIN)

$(WS_NODE_STAMP): tests/ws/package-lock.json
	cd tests/ws && npm ci --no-audit --no-fund

# --- running --------------------------------------------------------------
run: all
	sh scripts/run.sh $(BIN)

format:
	clang-format -i $(COMMON_SRC) $(GATEWAY_SRC) $(ROUTER_SRC) $(CTL_SRC) \
	    gateway/main.c router/main.c include/*.h

clean:
	rm -rf build bin

-include bench/bench.mk
-include fuzz/fuzz.mk
-include deploy/deploy.mk
-include $(shell find build -name deploy-cache -prune -o -name '*.d' -type f -print 2>/dev/null)
