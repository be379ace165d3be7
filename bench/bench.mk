# bench.mk - benchmark targets (owned by the benchmark work, issue 4).
.PHONY: bench
bench: all
	@echo "bench: not built yet" >&2; exit 1
