//! Your own operations, with hand-written gradients: an elementwise map, a one-operand op, a
//! two-operand op, a whole layer as one op inside an automatic network (the "hybrid" style), and
//! an isomorphism. Each is checked against central differences.
//!
//! Run: `cargo run --release --example custom_op`

use backprop::ops::map::Tanh;
use backprop::prelude::*;

type V3 = Vector<f64, U3>;

/// softsign(x) = x / (1 + |x|), derivative 1 / (1 + |x|)^2, as a one-operand op. The backward
/// closure receives the operand again (no copy of it is kept).
fn softsign(x: &V3) -> (V3, impl Fn(&V3, &V3) -> V3) {
    let y = x.map(|t| t / (1.0 + t.abs()));
    (y, |dy: &V3, x: &V3| {
        Vector::from_fn(|i| dy[i] / (1.0 + x[i].abs()).powi(2))
    })
}

/// hypot(a, b) = sqrt(a^2 + b^2), as a two-operand op.
fn hypot(a: &f64, b: &f64) -> (f64, impl Fn(&f64, &f64, &f64) -> (f64, f64)) {
    let r = a.hypot(*b);
    (r, move |d: &f64, a: &f64, b: &f64| (d * a / r, d * b / r))
}

/// A whole tanh layer with its gradient written by hand: `tanh(W h + b)`.
#[allow(clippy::type_complexity)]
fn layer(
    w: &Matrix<f64, U3, U3>,
    b: &V3,
    h: &V3,
) -> (
    V3,
    impl Fn(&V3, &Matrix<f64, U3, U3>, &V3, &V3) -> (Matrix<f64, U3, U3>, V3, V3),
) {
    let y = Vector::from_fn(|r| (b[r] + (0..3).map(|c| w[(r, c)] * h[c]).sum::<f64>()).tanh());
    let out = y.clone();
    (
        y,
        move |dy: &V3, w: &Matrix<f64, U3, U3>, _: &V3, h: &V3| {
            let dz = Vector::<f64, U3>::from_fn(|r| dy[r] * (1.0 - out[r] * out[r]));
            let dw = Matrix::from_fn(|r, c| dz[r] * h[c]);
            let dh = Vector::from_fn(|c| (0..3).map(|r| w[(r, c)] * dz[r]).sum());
            (dw, dz, dh)
        },
    )
}

/// Prints a gradient check and fails loudly if it did not pass.
fn show(name: &str, report: backprop::GradCheck, note: &str) {
    println!("{name:8} {report}{note}");
    assert!(
        report.passed(1e-6),
        "{name}: the hand-written gradient is wrong"
    );
}

fn main() {
    let v: V3 = Vector::from([0.5, -2.0, 1.5]);

    // 1. An elementwise function with its derivative: f(x), df(x, y).
    let cube = |v: Placeholders<V3>| v.map(|x| x * x * x, |x, _| 3.0 * x * x).sum();
    show("map", check_grad(cube, &v, 1e-6), "");

    // 2. A one-operand op whose backward closure is part of the computation's type.
    let soft = |v: Placeholders<V3>| op(v, softsign).dot(v);
    show("op", check_grad(soft, &v, 1e-6), "");

    // 3. A two-operand op.
    let hyp = |(a, b): backprop::entry::Placeholders<(f64, f64)>| op2(a, b, hypot) * a;
    show("op2", check_grad(hyp, &(3.0, -4.0), 1e-6), "");

    // 4. Hybrid: a hand-written layer chained with automatic ones.
    type Params = (Matrix<f64, U3, U3>, V3, Matrix<f64, U3, U3>, V3);
    let p: Params = (
        Matrix::from_fn(|r, c| 0.3 * (r as f64) - 0.2 * (c as f64)),
        Vector::from([0.1, 0.0, -0.1]),
        Matrix::from_fn(|r, c| if r == c { 0.9 } else { 0.1 }),
        Vector::filled(0.05),
    );
    let x = v.clone();
    let hybrid = |(w1, b1, w2, b2): backprop::entry::Placeholders<Params>| {
        let h = op3(w1, b1, constant(&x), layer); // hand-written
        h.dense(w2, b2, Tanh).sum() // automatic
    };
    let automatic = |(w1, b1, w2, b2): backprop::entry::Placeholders<Params>| {
        constant(&x).dense(w1, b1, Tanh).dense(w2, b2, Tanh).sum()
    };
    let (gh, ga) = (grad(hybrid, &p), grad(automatic, &p));
    assert!(gh.0.approx_eq(&ga.0, 1e-14) && gh.3.approx_eq(&ga.3, 1e-14));
    show(
        "hybrid",
        check_grad(hybrid, &p, 1e-6),
        " (the automatic network's gradient too)",
    );

    // 5. An isomorphism: a vector seen as a pair, the gradient mapped back.
    let to_pair = |v: &Vector<f64, U2>| (v[0], v[1]);
    let to_vector = |d: &(f64, f64)| Vector::from([d.0, d.1]);
    let w = Vector::<f64, U2>::from([3.0, 4.0]);
    let iso =
        |w: Placeholders<Vector<f64, U2>>| w.iso(to_pair, to_vector).then(|(a, b)| a * b.exp());
    show("iso", check_grad(iso, &w, 1e-6), "");
}
