#!/usr/bin/env python3
"""prometheus_query.py - ask the compose deployment's Prometheus one instant query.

compose-test.sh runs this against the prometheus service's published
port: it prints the query's value (one number: the first result, or the
sum when the query returns several; "none" if it returned nothing) and
exits 0, or exits 1 when Prometheus does not answer. With --at-least N it
exits 1 unless the value is at least N, for the test's waits. Only the
standard library is used.

    prometheus_query.py PORT 'count(up{job="zchat-gateway"} == 1)' --at-least 3
"""

import argparse
import json
import sys
import urllib.parse
import urllib.request

TIMEOUT_S = 5.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("query")
    parser.add_argument("--at-least", type=float, default=None)
    options = parser.parse_args()
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (
        options.port, urllib.parse.urlencode({"query": options.query}))
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            body = json.load(answer)
    except (OSError, ValueError) as error:
        print("prometheus: %s" % error, file=sys.stderr)
        return 1
    if body.get("status") != "success":
        print("prometheus: %s" % body, file=sys.stderr)
        return 1
    results = body["data"]["result"]
    if not results:
        print("none")
        return 1 if options.at_least is not None else 0
    value = sum(float(result["value"][1]) for result in results)
    print("%g" % value)
    if options.at_least is not None and value < options.at_least:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
