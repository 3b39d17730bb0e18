//! Binding with `.then` (computed once, gradients summed over uses), custom ops with
//! hand-written gradients, vector-Jacobian products and the gradient checker itself.

mod common;
use std::cell::Cell;

use backprop::prelude::*;
use common::{close, vector};

/// `x^2` as a user op that counts its forward calls.
macro_rules! counted_square {
    ($calls:expr) => {
        |x: &f64| {
            $calls.set($calls.get() + 1);
            let x = *x;
            (x * x, |dy: &f64, x: &f64| dy * 2.0 * x)
        }
    };
}

#[test]
fn an_unbound_subexpression_is_computed_at_each_use() {
    let calls = Cell::new(0);
    let sq = counted_square!(calls);
    let (y, g) = value_and_grad(|x| op(x, sq) * op(x, sq) + op(x, sq), &3.0_f64);
    assert_eq!(calls.get(), 3);
    // f = x^4 + x^2, f' = 4x^3 + 2x
    assert_eq!((y, g), (81.0 + 9.0, 108.0 + 6.0));
}

#[test]
fn a_bound_subexpression_is_computed_once_and_its_gradients_summed() {
    let calls = Cell::new(0);
    let sq = counted_square!(calls);
    let (y, g) = value_and_grad(|x| op(x, sq).then(|u| u * u + u), &3.0_f64);
    assert_eq!(calls.get(), 1);
    assert_eq!((y, g), (81.0 + 9.0, 108.0 + 6.0));
    // eval runs forward once too, and no backward at all.
    calls.set(0);
    assert_eq!(eval(|x| op(x, sq).then(|u| u * u + u), &3.0_f64), 90.0);
    assert_eq!(calls.get(), 1);
}

#[test]
fn nested_bindings_and_tuples() {
    let x = (0.7_f64, -1.3_f64, vector::<U3>(1, -1.0, 1.0));
    let f = |(a, b, v): Placeholders<(f64, f64, Vector<f64, U3>)>| {
        (a * b, v.tanh(), b)
            .then(|(p, t, b)| (t.dot(t) * p, b.exp(), p).then(|(q, e, p)| q * q + e * q + p * e))
    };
    // The inner closure rebinds `p`: a placeholder of an enclosing scope is a compile error
    // inside a nested one (see the ui tests), so values cross scopes only through binding.
    assert_grad!(f, &x);
    let (a, b, v) = x.clone();
    let p = a * b;
    let tt: f64 = v.iter().map(|t| t.tanh() * t.tanh()).sum();
    let q = tt * p;
    let e = b.exp();
    assert!(close(eval(f, &x), q * q + e * q + p * e, 1e-14));
}

#[test]
fn custom_op_on_a_vector_with_a_handwritten_gradient() {
    // softsign(x) = x / (1 + |x|), derivative 1 / (1 + |x|)^2
    let softsign = |x: &Vector<f64, U4>| {
        let y = x.map(|t| t / (1.0 + t.abs()));
        (y, |dy: &Vector<f64, U4>, x: &Vector<f64, U4>| {
            Vector::from_fn(|i| dy[i] / (1.0 + x[i].abs()).powi(2))
        })
    };
    let v = vector::<U4>(9, -3.0, 3.0);
    assert_grad!(|v| op(v, softsign).powi(2).sum(), &v);
    // A custom op of a custom op, and on a constant (no gradient flows into it).
    assert_grad!(|v| op(op(v, softsign), softsign).dot(v), &v);
    let c = v.clone();
    assert_grad!(|v| op(constant(&c), softsign).dot(v), &v);
}

#[test]
fn vector_jacobian_products_match_finite_differences() {
    let m = vector::<U3>(3, -2.0, 2.0);
    let dy = vector::<U2>(4, -1.0, 1.0);
    let w = common::matrix::<U2, U3>(5, -1.0, 1.0);
    let f = |x: Placeholders<Vector<f64, U3>>| constant(&w).matvec(x.sin() * x).exp();
    let (y, g) = vjp(f, &m, dy.clone()).expect("dy has the result's shape");
    assert_eq!(y, eval(f, &m));
    // J^T dy is the gradient of dy . f(x).
    let report = check_grad(|x| f(x).dot(constant(&dy)), &m, 1e-6);
    assert!(report.passed(1e-7), "{report}");
    let g2 = grad(|x| f(x).dot(constant(&dy)), &m);
    assert!(g.approx_eq(&g2, 1e-14));
}

#[test]
fn gradient_of_a_tensor_result_is_of_the_sum() {
    let v = vector::<U3>(1, -1.0, 1.0);
    let (y, g) = value_and_grad(|v| v * v, &v);
    assert_eq!(y, Vector::from_fn(|i| v[i] * v[i]));
    assert_eq!(g, Vector::from_fn(|i| 2.0 * v[i]));
}

#[test]
fn the_checker_catches_a_wrong_gradient() {
    // A deliberately wrong backward: the checker must report it and where.
    let bad_sq = |x: &f64| (x * x, |dy: &f64, _: &f64| *dy); // d(x^2)/dx is 2x, not 1
    let report = check_grad(|(a, b)| op(a, bad_sq) + b, &(3.0_f64, 1.0_f64), 1e-6);
    assert!(!report.passed(1e-3));
    assert_eq!(report.worst_index, 0);
    assert!(close(report.numeric, 6.0, 1e-6) && report.analytic == 1.0);
    assert!(report.to_string().contains("scalar #0 of 2"), "{report}");
}

#[test]
fn gradients_accumulate_into_a_kept_buffer() {
    let w = vector::<U3>(2, -1.0, 1.0);
    let xs = [vector::<U3>(10, -1.0, 1.0), vector::<U3>(11, -1.0, 1.0)];
    let mut g = Vector::zeros();
    let mut total = 0.0;
    for x in &xs {
        total += value_and_grad_acc(|w| w.dot(constant(x)).tanh(), &w, &mut g)
            .expect("the gradient buffer has the parameters' shape");
    }
    let g0 = grad(|w| w.dot(constant(&xs[0])).tanh(), &w);
    let g1 = grad(|w| w.dot(constant(&xs[1])).tanh(), &w);
    let mut sum = g0;
    sum.accumulate(&g1);
    assert!(g.approx_eq(&sum, 1e-15));
    let t0 = eval(|w| w.dot(constant(&xs[0])).tanh(), &w);
    let t1 = eval(|w| w.dot(constant(&xs[1])).tanh(), &w);
    assert!(close(total, t0 + t1, 1e-15));
}

/// A dense tanh layer `tanh(W h + b)` with its gradient written by hand, for `op3`.
#[allow(clippy::type_complexity)]
fn handwritten_layer(
    w: &Matrix<f64, U3, U4>,
    b: &Vector<f64, U3>,
    h: &Vector<f64, U4>,
) -> (
    Vector<f64, U3>,
    impl Fn(
        &Vector<f64, U3>,
        &Matrix<f64, U3, U4>,
        &Vector<f64, U3>,
        &Vector<f64, U4>,
    ) -> (Matrix<f64, U3, U4>, Vector<f64, U3>, Vector<f64, U4>),
) {
    let y = Vector::from_fn(|r| (b[r] + (0..4).map(|c| w[(r, c)] * h[c]).sum::<f64>()).tanh());
    let yy = y.clone();
    (
        y,
        move |dy: &Vector<f64, U3>,
              w: &Matrix<f64, U3, U4>,
              _: &Vector<f64, U3>,
              h: &Vector<f64, U4>| {
            let dz = Vector::<f64, U3>::from_fn(|r| dy[r] * (1.0 - yy[r] * yy[r]));
            let dw = Matrix::from_fn(|r, c| dz[r] * h[c]);
            let dh = Vector::from_fn(|c| (0..3).map(|r| w[(r, c)] * dz[r]).sum());
            (dw, dz, dh)
        },
    )
}

type TwoLayers = (
    Matrix<f64, U3, U4>,
    Vector<f64, U3>,
    Matrix<f64, U2, U3>,
    Vector<f64, U2>,
);

#[test]
fn a_hybrid_network_with_one_handwritten_layer() {
    let params = (
        common::matrix::<U3, U4>(20, -1.0, 1.0),
        vector::<U3>(21, -0.5, 0.5),
        common::matrix::<U2, U3>(22, -1.0, 1.0),
        vector::<U2>(23, -0.5, 0.5),
    );
    let x = vector::<U4>(24, -1.0, 1.0);
    let t = Vector::<f64, U2>::from([1.0, 0.0]);
    let hybrid = |(w1, b1, w2, b2): backprop::entry::Placeholders<TwoLayers>| {
        let h = op3(w1, b1, constant(&x), handwritten_layer);
        softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
    };
    let automatic = |(w1, b1, w2, b2): backprop::entry::Placeholders<TwoLayers>| {
        let h = (w1.matvec(constant(&x)) + b1).tanh();
        softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
    };
    let (yh, gh) = value_and_grad(hybrid, &params);
    let (ya, ga) = value_and_grad(automatic, &params);
    assert!(close(yh, ya, 1e-14));
    assert!(gh.0.approx_eq(&ga.0, 1e-14) && gh.1.approx_eq(&ga.1, 1e-14));
    assert!(gh.2.approx_eq(&ga.2, 1e-14) && gh.3.approx_eq(&ga.3, 1e-14));
    assert_grad!(hybrid, &params);
}

#[test]
fn op2_and_iso_against_finite_differences() {
    // atan2-like: f(a, b) = a / sqrt(a^2 + b^2), hand-written gradient
    let f = |a: &f64, b: &f64| {
        let (a, b) = (*a, *b);
        let r2 = a * a + b * b;
        let r = r2.sqrt();
        (a / r, move |d: &f64, _: &f64, _: &f64| {
            (d * b * b / (r2 * r), -d * a * b / (r2 * r))
        })
    };
    for p in [(1.0_f64, 2.0_f64), (-3.0, 0.5), (100.0, -7.0)] {
        assert_grad!(|(a, b)| op2(a, b, f) * a.exp(), &p);
    }
    // iso: a vector viewed in another basis (rotation), gradient mapped by the transpose
    let (c, s) = (0.6_f64, 0.8_f64);
    let rotate =
        move |v: &Vector<f64, U2>| Vector::from([c * v[0] - s * v[1], s * v[0] + c * v[1]]);
    let unrotate =
        move |d: &Vector<f64, U2>| Vector::from([c * d[0] + s * d[1], -s * d[0] + c * d[1]]);
    let v = Vector::<f64, U2>::from([0.3, -1.2]);
    assert_grad!(|v| v.iso(rotate, unrotate).tanh().dot(v), &v);
}

#[test]
fn full_jacobians_match_finite_differences() {
    let x = vector::<U3>(30, -1.0, 1.0);
    let w = common::matrix::<U2, U3>(31, -1.0, 1.0);
    let f = |x: Placeholders<Vector<f64, U3>>| constant(&w).matvec(x.sin()) * x.sum();
    let j = jacobian(f, &x);
    assert_eq!(j.len(), 2);
    for (i, row) in j.iter().enumerate() {
        let e = Vector::<f64, U2>::from_fn(|k| if k == i { 1.0 } else { 0.0 });
        let report = check_grad(|x| f(x).dot(constant(&e)), &x, 1e-6);
        assert!(report.passed(1e-8), "row {i}: {report}");
        assert!(row.approx_eq(&grad(|x| f(x).dot(constant(&e)), &x), 1e-15));
    }
    // A scalar result has a one-row Jacobian: its gradient.
    let j = jacobian(|x| x.norm(), &x);
    assert_eq!(j, vec![grad(|x| x.norm(), &x)]);
}
