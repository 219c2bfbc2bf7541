#!/usr/bin/env python3
"""Parses Prometheus text (stdin) with prometheus_client's own parser and prints
the families as JSON: {name: {"type": ..., "samples": [{"name", "labels", "value"}]}}.
The parser raises on anything that is not valid exposition text, exiting non-zero.
(prometheus_client names a counter family without its _total suffix.)"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    if family.name in families:
        sys.exit(f"family {family.name} appears twice")
    families[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
    }
json.dump(families, sys.stdout)
