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

/// For each operation, the tape's gradient equals the static engine's (itself checked against
/// central differences in `ops_tensor.rs`), on the same inputs.
#[test]
fn every_operation_matches_the_static_engine() {
    use backprop::ops::broadcast::AddRow;
    use backprop::ops::concat::{Concat, StackRows};
    use backprop::ops::linalg::{MatMul, MatMulT, Outer, Trace, Transpose};
    use backprop::ops::loss::{CrossEntropy, SoftmaxCrossEntropyRows, SquaredError};
    use backprop::ops::reduce::{ColSums, Mean, Norm, RowSums, Sum};
    use backprop::ops::softmax::{LogSoftmax, LogSumExp, Softmax};

    let m = matrix::<U3, U3>(40, -1.0, 1.0);
    let n = matrix::<U3, U3>(41, -1.0, 1.0);
    let v = vector::<U3>(42, 0.1, 1.0);
    let u = vector::<U3>(43, 0.1, 1.0);

    // Each case: the tape's gradient of a scalar built with `apply`/`apply2`, against the static one.
    let check = |name: &str, tape_g: Matrix<f64, U3, U3>, static_g: Matrix<f64, U3, U3>| {
        assert!(
            tape_g.approx_eq(&static_g, 1e-13),
            "{name}: {tape_g:?} vs {static_g:?}"
        );
    };
    macro_rules! case {
        ($name:expr, |$tm:ident, $tn:ident, $tv:ident| $tape_expr:expr, |$sm:ident| $static_expr:expr) => {{
            let t = Tape::new();
            let ($tm, $tn, $tv) = (
                t.var(m.clone()),
                t.constant(n.clone()),
                t.constant(v.clone()),
            );
            let y = $tape_expr;
            let g = t.gradient(y, $tm);
            check($name, g, grad(|$sm| $static_expr, &m));
        }};
    }
    case!(
        "transpose",
        |a, b, _c| (a.apply(Transpose) * b).sum(),
        |a| (a.transpose() * constant(&n)).sum()
    );
    case!("matmul", |a, b, _c| a.apply2(MatMul, b).apply(Norm), |a| a
        .matmul(constant(&n))
        .norm());
    case!(
        "matmul_t",
        |a, b, _c| a.apply2(MatMulT, b).apply(Mean),
        |a| a.matmul_t(constant(&n)).mean()
    );
    case!("trace", |a, _b, _c| a.apply(Trace) * 2.0, |a| a.trace()
        * 2.0);
    case!("row_sums", |a, _b, c| a.apply(RowSums).dot(c), |a| a
        .row_sums()
        .dot(constant(&v)));
    case!("col_sums", |a, _b, c| a.apply(ColSums).dot(c), |a| a
        .col_sums()
        .dot(constant(&v)));
    case!("add_row", |a, b, c| (a.apply2(AddRow, c) * b).sum(), |a| {
        (a.add_row(constant(&v)) * constant(&n)).sum()
    });
    case!(
        "stack_rows",
        |a, b, _c| a.apply2(StackRows, b).apply(Norm),
        |a| a.stack_rows(constant(&n)).norm()
    );
    case!("squared_error", |a, b, _c| a.apply2(SquaredError, b), |a| {
        squared_error(a, constant(&n))
    });
    case!(
        "softmax_cross_entropy_rows",
        |a, b, _c| a.apply2(SoftmaxCrossEntropyRows, b),
        |a| softmax_cross_entropy_rows(a, constant(&n))
    );
    case!(
        "cross_entropy",
        |a, b, _c| (a * a + 0.5).apply2(CrossEntropy, b.exp()),
        |a| cross_entropy(a * a + 0.5, constant(&n).exp())
    );

    // Vector operations.
    let checkv = |name: &str, tape_g: Vector<f64, U3>, static_g: Vector<f64, U3>| {
        assert!(
            tape_g.approx_eq(&static_g, 1e-13),
            "{name}: {tape_g:?} vs {static_g:?}"
        );
    };
    macro_rules! vcase {
        ($name:expr, |$tv:ident, $tu:ident| $tape_expr:expr, |$sv:ident| $static_expr:expr) => {{
            let t = Tape::new();
            let ($tv, $tu) = (t.var(v.clone()), t.constant(u.clone()));
            let y = $tape_expr;
            let g = t.gradient(y, $tv);
            checkv($name, g, grad(|$sv| $static_expr, &v));
        }};
    }
    vcase!("softmax", |a, b| a.apply(Softmax).dot(b), |a| a
        .softmax()
        .dot(constant(&u)));
    vcase!("log_softmax", |a, b| a.apply(LogSoftmax).dot(b), |a| a
        .log_softmax()
        .dot(constant(&u)));
    vcase!("logsumexp", |a, _b| a.apply(LogSumExp), |a| a.logsumexp());
    vcase!("outer", |a, b| a.apply2(Outer, b).apply(Norm), |a| a
        .outer(constant(&u))
        .norm());
    vcase!("concat", |a, b| a.apply2(Concat, b).apply(Norm), |a| a
        .concat(constant(&u))
        .norm());
    vcase!("sum_mean", |a, _b| a.apply(Sum) * a.apply(Mean), |a| a
        .sum()
        * a.mean());
    vcase!("powi_ln", |a, _b| a.powi(3).ln().sum(), |a| a
        .powi(3)
        .ln()
        .sum());
}

/// A `Var` indexes its own tape: used with another tape it read whatever value sat at its
/// index there (1 on tape A plus 100 on tape B gave 51). Now it panics, naming the mistake.
#[test]
#[should_panic(expected = "belongs to another tape")]
fn vars_of_two_tapes_do_not_mix_in_an_operation() {
    let (ta, tb) = (Tape::new(), Tape::new());
    let a = ta.var(1.0_f64);
    let _pad = tb.var(50.0_f64);
    let b = tb.var(100.0_f64);
    let _ = a + b;
}

#[test]
#[should_panic(expected = "belongs to another tape")]
fn a_gradient_by_a_var_of_another_tape_is_refused() {
    let (ta, tb) = (Tape::new(), Tape::new());
    let a = ta.var(3.0_f64);
    let b = tb.var(5.0_f64);
    let _ = ta.gradient(a * a, b);
}

#[test]
#[should_panic(expected = "belongs to another tape")]
fn backward_from_an_output_of_another_tape_is_refused() {
    let (ta, tb) = (Tape::new(), Tape::new());
    let a = ta.var(3.0_f64);
    let _ = tb.backward(a * a);
}
