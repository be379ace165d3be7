# bench.mk - the load generator, its smoke test and `make bench` (issue 4).
#
#   make bench                  install ngircd, inspircd, gnuplot, strace
#                               and perf (bench/profile.sh), build, run
#                               S1..S5 against zchat, InspIRCd and ngIRCd,
#                               print the tables, write bench/results/ and
#                               docs/BENCHMARKS.md
#   make bench BENCH_QUICK=1    the same with short runs (for iteration)
#   make bench BENCH_ONLY="S1 S3"   a subset of the scenarios
#   make bench BENCH_SERVERS="zchat inspircd"   a subset of the servers
#                               (zchat zchat-sqlite zchat-nometrics inspircd ngircd)
#   make loadgen                just the load generator ($(BIN)/zchat-loadgen)

LOADGEN_SRC := $(wildcard bench/loadgen/*.c)
LOADGEN_BIN := $(BIN)/zchat-loadgen
BENCH_QUICK ?=
BENCH_ONLY  ?=
BENCH_SERVERS ?=

.PHONY: bench loadgen
loadgen: $(LOADGEN_BIN)

$(LOADGEN_BIN): $(call obj,$(LOADGEN_SRC)) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ $(TLS_LIBS) $(PKG_LIBS) -o $@

# Unit tests of the loadgen's accounting (marker, track, histogram, dialect):
# linked with every loadgen object but main.o.
LOADGEN_TEST := $(BUILD)/bench/tests/test_loadgen
LOADGEN_LIB_OBJ := $(call obj,$(filter-out bench/loadgen/main.c,$(LOADGEN_SRC)))
$(BUILD)/bench/tests/test_loadgen.o: bench/tests/test_loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c $< -o $@
$(LOADGEN_TEST): $(BUILD)/bench/tests/test_loadgen.o $(LOADGEN_LIB_OBJ) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(TLS_LIBS) $(PKG_LIBS) $(TEST_LIBS) -o $@

# The smoke run: a few hundred clients over a router and two gateways for a
# few seconds, nothing lost or misrouted (bench/smoke.sh prints cmocka's
# summary lines for scripts/run-tests.sh).
# The top Makefile reads `test`'s prerequisites before including this file,
# so the loadgen is also named as a prerequisite of `test` directly.
TEST_EXTRA          += $(LOADGEN_BIN) $(LOADGEN_TEST)
TEST_EXTRA_PROGRAMS += $(LOADGEN_TEST) bench/smoke.sh
test: $(LOADGEN_BIN) $(LOADGEN_TEST)
# tests/integration/59_tls_load drives TLS clients with the load generator
integration: $(LOADGEN_BIN)

bench: all $(LOADGEN_BIN)
	sh scripts/install-deps.sh ngircd inspircd gnuplot-nox strace linux-perf curl
	BENCH_QUICK=$(BENCH_QUICK) BENCH_ONLY="$(BENCH_ONLY)" BENCH_SERVERS="$(BENCH_SERVERS)" \
	    sh bench/run.sh $(BIN)
