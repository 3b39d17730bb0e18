#!/usr/bin/env python3
"""Writes BENCHMARKS.md from criterion's saved estimates (and prints the table).

Run after the benches:  cargo bench && (cd peers && cargo bench) && python3 benches/ratios.py
"""
import glob
import json
import os
import platform
import subprocess

rows = {}
# The crate's benches, and the side-by-side runs against peer libraries (`peers/`), if made.
for path in glob.glob("target/criterion/*/*/new/estimates.json") + glob.glob(
        "peers/target/criterion/*/*/new/estimates.json"):
    group, variant = path.split("/")[-4:-2]
    with open(path) as f:
        rows.setdefault(group, {})[variant] = json.load(f)["median"]["point_estimate"]

lines = [f"| {'case':32} | {'variant':20} | median | ratio to manual (or static, or gradient) |", "|---|---|---:|---:|"]
for group, v in sorted(rows.items()):
    base = next((b for b in ("manual", "static", "gradient") if b in v), None)
    if base is None:
        continue
    m = v[base]
    for variant, t in sorted(v.items(), key=lambda kv: kv[0] != base):
        unit, scale = ("us", 1000) if t >= 1000 else ("ns", 1)
        lines.append(f"| {group:32} | {variant:20} | {t / scale:.3f} {unit} | {t / m:.3f} |")
table = "\n".join(lines)
print(table)

# Nanoseconds per node for the node-count cases (three nodes per step).
node_lines = ["| case | variant | ns per node |", "|---|---|---:|"]
for group, v in sorted(rows.items()):
    if group.startswith("nodes-"):
        n = int(group.split("-")[1])
        for variant, t in sorted(v.items()):
            node_lines.append(f"| {group} | {variant} | {t / n:.2f} |")
node_table = "\n".join(node_lines)

# Heap allocations per gradient call (steady state), recorded by the benches.
allocs = {}
if os.path.exists("target/criterion/allocations.txt"):
    with open("target/criterion/allocations.txt") as f:
        for line in f:
            case, variant, count = line.split()
            allocs[(case, variant)] = int(count)
alloc_lines = ["| case | variant | allocations per call |", "|---|---|---:|"]
for (case, variant), count in sorted(allocs.items()):
    alloc_lines.append(f"| {case} | {variant} | {count} |")
alloc_table = "\n".join(alloc_lines)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def ratio(group, variant, base="manual"):
    v = rows.get(group, {})
    return v[variant] / v[base] if variant in v and base in v else float("nan")


def goal(text, value, target, at_most=True):
    """One line of the goals list: the figure, the goal and whether it is met."""
    if value != value:  # NaN: not measured in this run
        return f"- {text}: not measured in this run (goal {target})"
    met = value <= target if at_most else value >= target
    bound = "at most" if at_most else "at least"
    return f"- {text}: **{value:.2f}** (goal {bound} {target}): {'met' if met else 'missed'}"


def speedup(group, slow, fast):
    v = rows.get(group, {})
    return v[slow] / v[fast] if slow in v and fast in v else float("nan")


M = "mnist-784-300-100-10_gradient"
S = "tanh-2-16-16-1_gradient"
goals = "\n".join([
    goal("784-300-100-10 sample gradient, fresh gradient per call (`value_and_grad`), x hand-written",
         ratio(M, "static"), 1.05),
    goal("the same through `value_and_grad_into` (a kept buffer, overwritten), x hand-written",
         ratio(M, "static-into"), 1.05),
    goal("the same, x hand-written SSE2 loops (`manual-sse2`)",
         ratio(M, "static", "manual-sse2"), 0.75),
    goal("2-16-16-1 gradient, fresh gradient per call, x hand-written", ratio(S, "static"), 1.2),
    goal("2-16-16-1 through `value_and_grad_into`, x hand-written", ratio(S, "static-into"), 1.2),
    goal("784-300-100-10 forward pass, x hand-written SSE2 loops",
         ratio("mnist-784-300-100-10_run", "static", "manual-sse2"), 1.0),
    goal("784-300-100-10 forward pass, x candle 0.9 (side by side: `cd peers && cargo bench`)",
         ratio("mnist-784-300-100-10_forward", "static", "candle"), 1.0),
    goal("hybrid (`op3` layers written by hand), x the static engine (`static-into`)",
         ratio(M, "hybrid", "static-into"), 1.1),
] + [
    goal(f"batch {b} {t}, the batched expression (`static-into`), x hand-written batched GEMMs",
         ratio(f"batch-{b}-{t}-gradient", "static-into"), 1.05)
    for b in (64, 128) for t in ("f32", "f64")
] + [
    goal(f"batch 128 {t}, two threads over one, gradients added (`static` / `static-2-threads`)",
         speedup(f"batch-128-{t}-gradient", "static", "static-2-threads"), 1.8, at_most=False)
    for t in ("f64", "f32")
] + [
    goal(f"batch 128 {t}, two threads over one, gradients written "
         "(`static-into` / `static-2-threads-into`)",
         speedup(f"batch-128-{t}-gradient", "static-into", "static-2-threads-into"), 1.8,
         at_most=False)
    for t in ("f64", "f32")
])

def per_node(group, variant):
    v = rows.get(group, {})
    return v[variant] / int(group.split("-")[1]) if variant in v else float("nan")


tape_goals = "\n".join([
    goal("scalar recurrence on the tape, 1,000 nodes, ns per node", per_node("nodes-1000", "tape"), 20),
    goal("scalar recurrence on the tape, 100,000 nodes, ns per node",
         per_node("nodes-100000", "tape"), 20),
    goal("784-300-100-10 gradient on the tape, x the static engine (`static`)",
         ratio(M, "tape", "static"), 1.3),
    goal("2-16-16-1 gradient on the tape, x the static engine (`static`)",
         ratio(S, "tape", "static"), 3.0),
    goal("2-16-16-1 gradient on the tape, heap allocations per call",
         float(allocs.get(("tanh-2-16-16-1_gradient", "tape"), float("nan"))), 0),
])

SO = "mnist-784-300-100-10_second-order"
second_goals = "\n".join([
    goal("784-300-100-10 `hvp` (value, gradient and H v), x `value_and_grad`",
         ratio(SO, "hvp", "gradient"), 3.0),
    goal("the same, stretch goal", ratio(SO, "hvp", "gradient"), 2.5),
    goal("784-300-100-10 `jvp`, x the forward pass (`eval`)", ratio(SO, "jvp", "forward"), 2.0),
])
second_reading = (
    f"`H v` at a point prepared once (`tangent::hvp_at`, what CG in a Newton step pays): "
    f"{ratio(SO, 'hvp-at', 'gradient'):.2f}x the gradient. `jvp` reads the first layer's matrix "
    f"and its tangent, 1.9 MB each: {ratio(SO, 'jvp', 'forward-twice'):.2f}x two forward passes "
    f"that read the same two matrices (`forward-twice`); one matrix fits this machine's 2 MB L2 "
    f"cache and two do not, so the one-matrix forward pass is the faster baseline. The tape of dual "
    f"numbers: H v at {ratio(SO, 'tape-hvp', 'tape-gradient'):.2f}x the tape's own gradient "
    f"(both recording afresh each call)."
)

reading = (
    f"The tape is {ratio(M, 'tape', 'static'):.1f}x slower than the static engine on the large "
    f"network and {ratio(S, 'tape', 'static'):.1f}x on the small one. A static `fold` runs a long "
    f"scalar recurrence at {ratio('nodes-100000', 'static-fold'):.2f}x the hand-written loop; the "
    f"tape at {ratio('nodes-100000', 'tape'):.0f}x. A tanh RNN over 200 steps, weights read in "
    f"place inside the fold body: static {ratio('rnn-tanh-16x200_gradient', 'static'):.2f}x "
    f"hand-written at hidden size 16 and {ratio('rnn-tanh-64x200_gradient', 'static'):.2f}x at 64; "
    f"the tape {ratio('rnn-tanh-16x200_gradient', 'tape', 'static'):.2f}x and "
    f"{ratio('rnn-tanh-64x200_gradient', 'tape', 'static'):.2f}x the static engine; the same RNN "
    f"through the model vocabulary runs at "
    f"{ratio('rnn-tanh-16x200_gradient', 'static-model', 'static'):.2f}x and "
    f"{ratio('rnn-tanh-64x200_gradient', 'static-model', 'static'):.2f}x the fold written out; an "
    f"LSTM of hidden size 32 over 200 steps: tape {ratio('lstm-32x200_gradient', 'tape', 'static'):.2f}x "
    f"the static engine. Timings on this shared 2-core machine move by several percent between "
    f"runs: compare ratios within one run."
)

cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.processor()
doc = f"""# Benchmarks

Generated by `python3 benches/ratios.py` from the results of `cargo bench` (criterion medians,
one process per bench file, variants of a case measured side by side). Regenerate with:

```sh
cargo bench && (cd peers && cargo bench) && python3 benches/ratios.py
```

(`peers/` is a separate workspace with the peer libraries, so the crate's own tests never build
them; its group `mnist-784-300-100-10_forward` puts candle beside the static engine.)

A quick pass (fewer samples, under a minute on 2 cores after the build):
`cargo bench -- --quick && python3 benches/ratios.py`.

Machine: {cpu}, {os.cpu_count()} cores, {sh("rustc --version")}.

"manual" is the fastest hand-written code we could write for the case: buffers kept between
calls, every gradient *written* once (never zero-filled and then accumulated), on the kernels of
the CPU's best instruction set (`kernels::Simd`); for batches, `matrixmultiply` GEMMs into
preallocated buffers with `beta = 0`; for the RNN cases, loops of their own. "manual-sse2" is the
same code on the portable (SSE2) kernels. Every ratio is to "manual" (cases without one, the LSTM,
to "static").

Engine variants: "static" is `value_and_grad`, a fresh gradient per call (the previous one
dropped after); "static-into" is `value_and_grad_into`, the gradient written over a kept buffer;
"static-acc" (and "static-fields", a derived record; "static-layers", `dense` nodes) zero a kept
buffer and add into it; "tape" is the runtime tape with the parameters kept on it, its
gradients moved into a kept buffer (`Gradients::take_into`); for batches,
"static" zeroes and adds, "static-2-threads" is `nn::parallel_grad` over two halves (each
thread zeroes its buffer and adds), "static-2-threads-into" is `nn::parallel_grad_into` (each
thread writes its buffer with `value_and_grad_into`); "hybrid"
is the static engine with hand-written `op3` layers, written into a kept buffer.

## Issue 11's goals, this run

{goals}

## Issue 12's goals (the tape), this run

{tape_goals}

## Issue 13's goals (second derivatives), this run

{second_goals}

{second_reading}

{table}

Per node (a scalar recurrence `h * a + sin(h)`, three nodes a step; "static-fold" is the static
engine's `fold`, whose type does not grow with the number of steps):

{node_table}

Heap allocations per gradient call, after a warm-up call (a counting allocator in the bench
harness):

{alloc_table}

Reading (this run): {reading}
"""
with open("BENCHMARKS.md", "w") as f:
    f.write(doc)
