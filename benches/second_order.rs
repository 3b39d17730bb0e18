//! Second derivatives on the 784-300-100-10 network (logistic hidden layers, softmax
//! cross-entropy, one sample, f64): `hvp` against the gradient (`value_and_grad`), `jvp` against
//! the forward pass (`eval`), measured side by side in one run.
//!
//! - `gradient`: `value_and_grad`, a fresh gradient per call.
//! - `hvp`: `hvp` along a fixed direction: value, gradient and `H v` (forward, tangent forward,
//!   and the backward pass with its tangent).
//! - `hvp-at`: `H v` at a point prepared once (`tangent::hvp_at`), per direction: what CG inside
//!   a Newton step pays.
//! - `forward`: `eval`, the value only.
//! - `jvp`: `jvp`, the value and `J v`.
//! - `tape-gradient`, `tape-hvp`: the runtime tape, recording the network afresh each call, on
//!   `f64` and on dual numbers (`p + v ε`, whose gradient carries `H v`).
//! - `forward-twice`: `eval` at the point and at the direction, one after the other: the same
//!   two 1.9 MB first-layer matrices read per call as `jvp` reads (a point and its tangent),
//!   which together do not fit in a 2 MB L2 cache where one does.
//!
//! Run: `cargo bench --bench second_order`. Ratios matter; absolute times are noisy.

use backprop::dual::Dual;
use backprop::prelude::*;
use backprop::tangent::{eps, hvp_at, lift};
use backprop::tape::{Tape, Var};
use backprop::{Dim, Scalar};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

type Net<S> = (
    Matrix<S, U300, U784>,
    Vector<S, U300>,
    Matrix<S, U100, U300>,
    Vector<S, U100>,
    Matrix<S, U10, U100>,
    Vector<S, U10>,
);
type P = Net<f64>;

/// The network on a tape over scalars `S` (`f64`, or dual numbers for `H v`): the parameters
/// as variables, the sample and target as constants; returns the loss and the parameters.
#[allow(clippy::type_complexity)]
fn on_tape<'t, S: Scalar>(
    t: &'t Tape,
    p: Net<S>,
    x: Vector<S, U784>,
    target: Vector<S, U10>,
) -> (Var<'t, S>, Var<'t, Matrix<S, U300, U784>>) {
    let w1 = t.var(p.0);
    let (b1, w2, b2, w3, b3) = (t.var(p.1), t.var(p.2), t.var(p.3), t.var(p.4), t.var(p.5));
    let (x, target) = (t.constant(x), t.constant(target));
    let h1 = (w1.matvec(x) + b1).logistic();
    let h2 = (w2.matvec(h1) + b2).logistic();
    ((w3.matvec(h2) + b3).softmax_cross_entropy(target), w1)
}

/// Every part of `p` lifted to `p + v ε`.
fn lift_net(p: &P, v: &P) -> Net<Dual<f64>> {
    (
        lift(&p.0, Some(&v.0)),
        lift(&p.1, Some(&v.1)),
        lift(&p.2, Some(&v.2)),
        lift(&p.3, Some(&v.3)),
        lift(&p.4, Some(&v.4)),
        lift(&p.5, Some(&v.5)),
    )
}

fn values(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn mat<R: Dim, C: Dim>(seed: u64) -> Matrix<f64, R, C> {
    let scale = (1.0 / C::USIZE as f64).sqrt();
    Matrix::try_from_vec(values(seed, R::USIZE * C::USIZE, scale)).unwrap()
}

fn vec_<N: Dim>(seed: u64, scale: f64) -> Vector<f64, N> {
    Vector::try_from_vec(values(seed, N::USIZE, scale)).unwrap()
}

fn params(seed: u64) -> P {
    (
        mat(seed),
        vec_(seed + 1, 0.1),
        mat(seed + 2),
        vec_(seed + 3, 0.1),
        mat(seed + 4),
        vec_(seed + 5, 0.1),
    )
}

fn bench(c: &mut Criterion) {
    let p = params(1);
    let v = params(11);
    let x = vec_::<U784>(7, 1.0).map(f64::abs);
    let t_ = Vector::<f64, U10>::from_fn(|i| if i == 3 { 1.0 } else { 0.0 });
    let t = t_.clone();
    let net = |(w1, b1, w2, b2, w3, b3): Placeholders<P>| {
        let h1 = (w1.matvec(constant(&x)) + b1).logistic();
        let h2 = (w2.matvec(h1) + b2).logistic();
        softmax_cross_entropy(w3.matvec(h2) + b3, constant(&t))
    };
    // The same numbers every way.
    let (y, g) = value_and_grad(net, &p);
    let (y2, g2, _) = hvp(net, &p, &v);
    assert!(y == y2 && g.0.approx_eq(&g2.0, 1e-12));
    let h = hvp_at(net, &p);
    assert!(h.apply(&v).0.approx_eq(&hvp(net, &p, &v).2 .0, 1e-12));

    let mut group = c.benchmark_group("mnist-784-300-100-10_second-order");
    group.bench_function("gradient", |b| {
        b.iter(|| value_and_grad(net, black_box(&p)))
    });
    group.bench_function("hvp", |b| b.iter(|| hvp(net, black_box(&p), black_box(&v))));
    group.bench_function("hvp-at", |b| b.iter(|| h.apply(black_box(&v))));
    group.bench_function("forward", |b| b.iter(|| eval(net, black_box(&p))));
    group.bench_function("jvp", |b| b.iter(|| jvp(net, black_box(&p), black_box(&v))));
    // The tape: a fresh tape per call for both (the duals' parameters are lifted each call).
    let tape_gradient = || {
        let t = Tape::new();
        let (loss, w1) = on_tape(&t, p.clone(), x.clone(), t_.clone());
        let mut g = t.backward(loss);
        g.take(w1)
    };
    let tape_hvp = || {
        let t = Tape::new();
        let (loss, w1) = on_tape(&t, lift_net(&p, &v), lift(&x, None), lift(&t_, None));
        let mut g = t.backward(loss);
        eps::<Matrix<f64, U300, U784>>(&g.take(w1))
    };
    assert!(tape_gradient().approx_eq(&g.0, 1e-12));
    assert!(tape_hvp().approx_eq(&hvp(net, &p, &v).2 .0, 1e-12));
    group.bench_function("tape-gradient", |b| b.iter(tape_gradient));
    group.bench_function("tape-hvp", |b| b.iter(tape_hvp));
    group.bench_function("forward-twice", |b| {
        b.iter(|| eval(net, black_box(&p)) + eval(net, black_box(&v)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
