# bench.mk - the load generator, its smoke test and `make bench` (issue 4).
#
#   make bench                  install ngircd + gnuplot, build, run S1..S5
#                               against zchat and ngIRCd, print the table,
#                               write bench/results/ and docs/BENCHMARKS.md
#   make bench BENCH_QUICK=1    the same with short runs (for iteration)
#   make bench BENCH_ONLY="S1 S3"   a subset of the scenarios
#   make loadgen                just the load generator ($(BIN)/zchat-loadgen)

LOADGEN_SRC := $(wildcard bench/loadgen/*.c)
LOADGEN_BIN := $(BIN)/zchat-loadgen
BENCH_QUICK ?=
BENCH_ONLY  ?=

.PHONY: bench loadgen
loadgen: $(LOADGEN_BIN)

$(LOADGEN_BIN): $(call obj,$(LOADGEN_SRC)) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -o $@

# The smoke run: a few hundred clients over a router and two gateways for a
# few seconds, nothing lost or misrouted (bench/smoke.sh prints cmocka's
# summary lines for scripts/run-tests.sh).
# The top Makefile reads `test`'s prerequisites before including this file,
# so the loadgen is also named as a prerequisite of `test` directly.
TEST_EXTRA          += $(LOADGEN_BIN)
TEST_EXTRA_PROGRAMS += bench/smoke.sh
test: $(LOADGEN_BIN)

bench: all $(LOADGEN_BIN)
	sh scripts/install-deps.sh ngircd gnuplot-nox
	BENCH_QUICK=$(BENCH_QUICK) BENCH_ONLY="$(BENCH_ONLY)" sh bench/run.sh $(BIN)
