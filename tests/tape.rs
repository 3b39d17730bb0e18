//! The runtime tape gives the same values and gradients as the static engine (which is checked
//! against finite differences elsewhere), handles control flow that depends on values, and is
//! itself checked against central differences.

mod common;
use backprop::prelude::*;
use backprop::tape::Tape;
use common::{close, matrix, vector};

/// A function on the tape.
type OnTape = dyn Fn(backprop::tape::Var<'_, f64>) -> backprop::tape::Var<'_, f64>;
/// A tape function and the same function on plain numbers.
type Case<'a> = (&'a OnTape, fn(f64) -> f64);

/// Central difference of a scalar function of one f64.
fn numeric(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[test]
fn elementwise_functions_match_the_static_engine_and_finite_differences() {
    for x0 in [-1.7, -0.3, 0.4, 2.5] {
        let tape_grad =
            |f: &dyn Fn(backprop::tape::Var<'_, f64>) -> backprop::tape::Var<'_, f64>| {
                let t = Tape::new();
                let x = t.var(x0);
                let y = f(x);
                (y.value(), t.gradient(y, x))
            };
        let cases: [Case; 6] = [
            (&|x| x.exp() * x.sin(), |x| x.exp() * x.sin()),
            (&|x| x.cos() / (x * x + 1.0), |x| x.cos() / (x * x + 1.0)),
            (&|x| x.tanh().powi(3) - x, |x| x.tanh().powi(3) - x),
            (&|x| (x * x + 0.5).ln(), |x| (x * x + 0.5).ln()),
            (&|x| x.logistic() * 2.0 + x.relu(), |x| {
                2.0 / (1.0 + (-x).exp()) + x.max(0.0)
            }),
            (&|x| x * 3.0 - x / 2.0, |x| x * 3.0 - x / 2.0),
        ];
        for (i, (f, plain)) in cases.iter().enumerate() {
            let (y, g) = tape_grad(*f);
            assert!(close(y, plain(x0), 1e-14), "case {i} at {x0}");
            assert!(close(g, numeric(plain, x0), 1e-6), "case {i} at {x0}: {g}");
        }
    }
}

#[test]
fn a_network_gradient_matches_the_static_engine() {
    let (w1, b1, w2, b2) = (
        matrix::<U4, U3>(1, -1.0, 1.0),
        vector::<U4>(2, -0.5, 0.5),
        matrix::<U2, U4>(3, -1.0, 1.0),
        vector::<U2>(4, -0.5, 0.5),
    );
    let x = vector::<U3>(5, 0.0, 1.0);
    let t = Vector::<f64, U2>::from([0.0, 1.0]);
    let (ys, gs) = value_and_grad(
        |(w1, b1, w2, b2)| {
            let h = (w1.matvec(constant(&x)) + b1).tanh();
            softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
        },
        &(w1.clone(), b1.clone(), w2.clone(), b2.clone()),
    );
    let tape = Tape::new();
    let (vw1, vb1, vw2, vb2) = (tape.var(w1), tape.var(b1), tape.var(w2), tape.var(b2));
    let (vx, vt) = (tape.constant(x), tape.constant(t));
    let h = (vw1.matvec(vx) + vb1).tanh();
    let loss = (vw2.matvec(h) + vb2).softmax_cross_entropy(vt);
    assert!(close(loss.value(), ys, 1e-14));
    assert!(tape.gradient(loss, vw1).approx_eq(&gs.0, 1e-14));
    assert!(tape.gradient(loss, vb1).approx_eq(&gs.1, 1e-14));
    assert!(tape.gradient(loss, vw2).approx_eq(&gs.2, 1e-14));
    assert!(tape.gradient(loss, vb2).approx_eq(&gs.3, 1e-14));
}

#[test]
fn control_flow_that_depends_on_values() {
    // A branch on a comparison and a loop whose length depends on the value.
    let f = |x0: f64| -> (f64, f64) {
        let t = Tape::new();
        let x = t.var(x0);
        let mut y = if x.value() > 0.0 { x * x } else { x.sin() };
        let mut steps = 0;
        while y.value().abs() < 10.0 && steps < 50 {
            y = y * 1.5 + 0.25;
            steps += 1;
        }
        (y.value(), t.gradient(y, x))
    };
    for x0 in [-1.2, 0.7, 2.0] {
        let (y, g) = f(x0);
        let h = 1e-6;
        // The loop length is constant near x0 (no threshold is crossed), so differences apply.
        let num = (f(x0 + h).0 - f(x0 - h).0) / (2.0 * h);
        assert!(close(g, num, 1e-5), "at {x0}: {g} vs {num}");
        assert!(y.abs() >= 10.0 || y.is_finite());
    }
}

#[test]
fn a_cleared_tape_is_reused() {
    let mut t = Tape::new();
    for k in 0..3 {
        t.clear();
        let x = t.var(k as f64);
        let y = x * x * x;
        assert_eq!(t.gradient(y, x), 3.0 * (k * k) as f64);
    }
    assert_eq!(t.len(), 3);
}
