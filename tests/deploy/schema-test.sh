#!/bin/sh
# schema-test.sh - static checks of docker-compose.yml (make test-schema).
#
# 1. `docker-compose config -q`: the file parses and fits the schema of
#    Debian's docker-compose 1.29 (and so of compose v2).
# 2. check_compose_refs.py: every network, volume, secret, config and
#    service a service names is declared (config -q misses networks).
# 3. The checker itself: it passes fixtures/refs-good.yml and fails each
#    fixtures/bad-*.yml with the problem named on its "# expect:" line.
set -eu
cd "$(dirname "$0")/../.."
python=${PYTHON3:-/usr/bin/python3}
checker=tests/deploy/check_compose_refs.py
fixtures=tests/deploy/fixtures
failed=0

docker-compose -f docker-compose.yml config -q
"$python" "$checker" docker-compose.yml
echo "schema: docker-compose.yml ok (config -q, references declared)"

"$python" "$checker" "$fixtures/refs-good.yml" || failed=1
for fixture in "$fixtures"/bad-*.yml; do
    expect=$(sed -n 's/^# expect: //p' "$fixture")
    status=0
    output=$("$python" "$checker" "$fixture") || status=$?
    if [ "$status" -ne 1 ] || [ "$output" != "$fixture: $expect" ]; then
        echo "schema: FAIL $fixture: exit $status, said: $output (expected: $expect)" >&2
        failed=1
    fi
done
[ "$failed" -eq 0 ] || exit 1
echo "schema: reference checker ok ($(ls "$fixtures"/bad-*.yml | wc -l) bad fixtures caught)"
