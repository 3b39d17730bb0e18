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

print(f"| {'case':45} | {'variant':14} | median | ratio to manual |")
print("|---|---|---:|---:|")
for group, v in sorted(rows.items()):
    if "manual" not in v:
        continue
    m = v["manual"]
    for variant, t in sorted(v.items(), key=lambda kv: kv[0] != "manual"):
        print(f"| {group:45} | {variant:14} | {t / 1000:.3f} us | {t / m:.3f} |")
