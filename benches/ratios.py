#!/usr/bin/env python3
"""Prints static/manual median ratios from criterion's saved estimates.

Run after `cargo bench --bench mnist_net`:  python3 benches/ratios.py
"""
import glob
import json

rows = {}
for path in glob.glob("target/criterion/*/*/new/estimates.json"):
    group, variant = path.split("/")[2:4]
    with open(path) as f:
        rows.setdefault(group, {})[variant] = json.load(f)["median"]["point_estimate"]

print(f"| {'case':45} | manual | static | ratio |")
print("|---|---:|---:|---:|")
for group, v in sorted(rows.items()):
    if "manual" in v and "static" in v:
        m, s = v["manual"] / 1000, v["static"] / 1000
        print(f"| {group:45} | {m:.3f} us | {s:.3f} us | {s / m:.3f} |")
