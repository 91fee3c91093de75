#!/usr/bin/python3
"""Fetches a mugai /metrics page and parses it with prometheus_client's own parser (Debian
python3-prometheus-client), printing every sample as one JSON object:
{"name{label="value",...}": value}. Exit 2 when the parser is not installed, 1 when the page
does not parse (the parser's message on stderr)."""
import json
import sys
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("python3-prometheus-client is not installed", file=sys.stderr)
    sys.exit(2)

text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode("utf-8")
samples = {}
try:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
            samples[s.name + ("{" + labels + "}" if labels else "")] = s.value
except Exception as e:  # the parser raises ValueError and others on malformed input
    print("does not parse: %s" % e, file=sys.stderr)
    sys.exit(1)
print(json.dumps(samples, sort_keys=True))
