#!/usr/bin/env python3
"""scikit-learn's newton-cg on the objective of examples/newton_cg.rs, on one thread, for the
side-by-side figure in the README:

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn==1.9.1 numpy
    /tmp/skl/bin/python benches/newton_cg_sklearn.py ../shared/data/mnist

Measured on this repository's machine: objective 0.2592482950, 14 iterations, 84.8 s of CPU.
"""
import gzip, os, time, struct, sys
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
import numpy as np
from sklearn.linear_model import LogisticRegression
import sklearn

def idx(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xff
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

d = sys.argv[1]
def find(name):
    for suffix in ("", ".gz"):
        p = os.path.join(d, name + suffix)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(name)
X = idx(find("train-images-idx3-ubyte")).reshape(60000, -1).astype(np.float64) / 255.0
y = idx(find("train-labels-idx1-ubyte"))
Xt = idx(find("t10k-images-idx3-ubyte")).reshape(10000, -1).astype(np.float64) / 255.0
yt = idx(find("t10k-labels-idx1-ubyte"))
n = X.shape[0]
lam = 1e-4
clf = LogisticRegression(solver="newton-cg", C=1.0 / (lam * n), tol=1e-10, max_iter=1000)
t0, c0 = time.time(), time.process_time()
clf.fit(X, y)
wall, cpu = time.time() - t0, time.process_time() - c0
W, b = clf.coef_, clf.intercept_
Z = X @ W.T + b
Z -= Z.max(axis=1, keepdims=True)
logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
obj = -logp[np.arange(n), y].mean() + lam / 2 * (W * W).sum()
print(f"scikit-learn {sklearn.__version__}: objective {obj:.10f}, {clf.n_iter_} iterations, "
      f"{wall:.1f} s wall, {cpu:.1f} s CPU, test accuracy {100 * clf.score(Xt, yt):.2f}%")
