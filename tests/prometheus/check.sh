#!/bin/sh
# check.sh - the Prometheus files of the deployment pass promtool.
#
# deploy/prometheus/alerts.yml (promtool check rules: syntax and PromQL),
# its unit test alerts_test.yml (promtool test rules: each alert fires on
# the series it watches) and prometheus.yml (promtool check config). Run
# by make test (TEST_EXTRA_PROGRAMS); prints cmocka's summary lines.
set -u
dir=$(dirname "$0")/../../deploy/prometheus
passed=0
failed=0
s_check () {
    name=$1
    shift
    echo "[ RUN      ] $name"
    if (cd "$dir" && "$@"); then
        echo "[       OK ] $name"
        passed=$((passed + 1))
    else
        echo "[  FAILED  ] $name"
        failed=$((failed + 1))
    fi
}
echo "[==========] Running 3 test(s)."
s_check check_rules promtool check rules alerts.yml
s_check test_rules promtool test rules alerts_test.yml
s_check check_config promtool check config prometheus.yml
echo "[==========] 3 test(s) run."
if [ "$failed" -gt 0 ]; then
    echo "[  FAILED  ] $failed test(s), listed below:"
    exit 1
fi
echo "[  PASSED  ] $passed test(s)."
