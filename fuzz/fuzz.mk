# fuzz/fuzz.mk - libFuzzer targets, and their kept inputs in the normal tests
#
#   make fuzz                    build every target with clang's libFuzzer +
#                                ASan + UBSan and run each for FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=20 FUZZ_ONLY="wire_decode command"
#
# A target is fuzz/fuzz_<name>.c. Its seed corpus is fuzz/corpus/<name>/,
# an optional dictionary fuzz/dict/<name>.dict, and inputs that once
# failed fuzz/regressions/<name>/. The same file also links with
# fuzz/replay.c into $(BUILD)/fuzz/replay_<name>, which `make test` runs
# over the corpus and the regressions: what was found once stays fixed.
# Targets named router_* link the router tier, the others the gateway's.

FUZZ_SECONDS  ?= 60
FUZZ_ONLY     ?=
FUZZ_SANITIZE := fuzzer-no-link,address,undefined
FUZZ_SRC      := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES    := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRC))
REPLAY_BIN    := $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_NAMES))
FUZZ_BIN      := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))

# Replays run in `make test` like any test program.
TEST_EXTRA          += $(REPLAY_BIN)
TEST_EXTRA_PROGRAMS += fuzz/replay.sh
test: $(REPLAY_BIN)
export ZCHAT_FUZZ_DIR := $(abspath $(BUILD)/fuzz)

$(BUILD)/fuzz/%.o: TIER_INCLUDE := -Igateway
$(BUILD)/fuzz/fuzz_router_%.o: TIER_INCLUDE := -Irouter
$(BUILD)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ifuzz $(TIER_INCLUDE) -c $< -o $@

$(BUILD)/fuzz/replay_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/replay.o $(GATEWAY_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(GATEWAY_PKG_LIBS) $(PKG_LIBS) -o $@
$(BUILD)/fuzz/replay_router_%: $(BUILD)/fuzz/fuzz_router_%.o $(BUILD)/fuzz/replay.o $(ROUTER_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(ROUTER_PKG_LIBS) $(PKG_LIBS) -o $@

# The libFuzzer binaries exist only in the fuzz build (SANITIZE holds
# fuzzer-no-link there, so every object is instrumented for coverage).
$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(GATEWAY_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(GATEWAY_PKG_LIBS) $(PKG_LIBS) -o $@
$(BUILD)/fuzz/fuzz_router_%: $(BUILD)/fuzz/fuzz_router_%.o $(ROUTER_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(ROUTER_PKG_LIBS) $(PKG_LIBS) -o $@

.PHONY: fuzz fuzz-targets
fuzz-targets: $(FUZZ_BIN)

fuzz:
	sh scripts/install-deps.sh clang libclang-rt-14-dev
	$(MAKE) CC=clang SANITIZE=$(FUZZ_SANITIZE) fuzz-targets
	sh fuzz/run.sh build/sanitize-$(subst $(comma),-,$(FUZZ_SANITIZE))/fuzz \
	    $(FUZZ_SECONDS) $(if $(FUZZ_ONLY),$(FUZZ_ONLY),$(FUZZ_NAMES))
