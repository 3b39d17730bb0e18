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

/// The scalars of a gradient, in order.
fn flat<G: backprop::Scalars<f64>>(g: &G) -> Vec<f64> {
    let mut out = vec![];
    g.for_each_scalar(&mut |x| out.push(x));
    out
}

/// Every operation of the table (`backprop::ops::table::operations`) on the tape, by the same
/// method name as the static engine's, with the same gradient as the static engine (itself
/// checked against central differences in `ops_scalar.rs` and `ops_tensor.rs`). A new operation
/// without a case here fails the test.
#[test]
fn every_operation_of_the_table_matches_the_static_engine() {
    use std::collections::BTreeSet;
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut check = |name: &'static str, tape: Vec<f64>, stat: Vec<f64>| {
        assert_eq!(tape.len(), stat.len(), "{name}");
        let scale = stat.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        assert!(scale > 0.0, "{name}: a zero gradient checks nothing");
        for (t, s) in tape.iter().zip(&stat) {
            assert!(
                (t - s).abs() <= 1e-12 * scale.max(1.0),
                "{name}: {tape:?} vs {stat:?}"
            );
        }
        done.insert(name);
    };
    // One body, written once, run on both front ends: `a` is the input differentiated by, `c` a
    // constant operand (`t.constant(k)` on the tape, `constant(&k)` in the static engine).
    macro_rules! same {
        ($name:literal, $x:expr, $k:expr, |$a:ident, $c:ident| $body:expr) => {{
            let (x, k) = ($x, $k);
            let t = Tape::new();
            let ($a, $c) = (t.var(x.clone()), t.constant(k.clone()));
            let y = $body;
            let tape_g = t.gradient(y, $a);
            let static_g = grad(
                |$a| {
                    let $c = constant(&k);
                    $body
                },
                &x,
            );
            check($name, flat(&tape_g), flat(&static_g));
        }};
    }
    let m = matrix::<U3, U3>(40, -1.0, 1.0);
    let n = matrix::<U3, U3>(41, -1.0, 1.0);
    let p = matrix::<U3, U3>(44, 0.1, 1.0);
    let v = vector::<U3>(42, 0.1, 1.0);
    let u = vector::<U3>(43, -1.0, 1.0);
    let w = vector::<U3>(45, -1.0, 1.0);
    let xs = vec![0.7_f64, -1.3, 2.1, 0.4];

    // Elementwise functions, on a vector (positive entries, for ln and sqrt).
    same!("exp", v.clone(), u.clone(), |a, c| a.exp().dot(c));
    same!("ln", v.clone(), u.clone(), |a, c| a.ln().dot(c));
    same!("sin", v.clone(), u.clone(), |a, c| a.sin().dot(c));
    same!("cos", v.clone(), u.clone(), |a, c| a.cos().dot(c));
    same!("tan", v.clone(), u.clone(), |a, c| a.tan().dot(c));
    same!("tanh", v.clone(), u.clone(), |a, c| a.tanh().dot(c));
    same!("sqrt", v.clone(), u.clone(), |a, c| a.sqrt().dot(c));
    same!("abs", w.clone(), u.clone(), |a, c| a.abs().dot(c));
    same!("recip", v.clone(), u.clone(), |a, c| a.recip().dot(c));
    same!("logistic", w.clone(), u.clone(), |a, c| a.logistic().dot(c));
    same!("relu", w.clone(), u.clone(), |a, c| a.relu().dot(c));
    same!("softplus", w.clone(), u.clone(), |a, c| a.softplus().dot(c));
    same!("powi", w.clone(), u.clone(), |a, c| a.powi(3).dot(c));
    same!("map", w.clone(), u.clone(), |a, c| a
        .map(|x| x * x * x, |x, _| 3.0 * x * x)
        .dot(c));
    // Operators, between values and with numbers on either side, and negation.
    same!("add", w.clone(), u.clone(), |a, c| ((a + c)
        * (a + 2.0)
        * (1.5 + a))
        .sum());
    same!("sub", w.clone(), u.clone(), |a, c| ((a - c)
        * (a - 2.0)
        * (1.5 - a))
        .sum());
    same!("mul", w.clone(), u.clone(), |a, c| (a
        * c
        * (a * 2.0)
        * (3.0 * a))
        .sum());
    same!("div", v.clone(), u.clone(), |a, c| ((c / a)
        + (a / 2.0)
        + (1.0 / a))
        .sum());
    same!("neg", w.clone(), u.clone(), |a, c| (-a).dot(c));
    // Reductions.
    same!("sum", m.clone(), n.clone(), |a, c| (a * c).sum());
    same!("mean", m.clone(), n.clone(), |a, c| (a * c).mean());
    same!("norm", m.clone(), n.clone(), |a, c| (a + c).norm());
    same!("row_sums", m.clone(), v.clone(), |a, c| a.row_sums().dot(c));
    same!("col_sums", m.clone(), v.clone(), |a, c| a.col_sums().dot(c));
    // Softmax family.
    same!("softmax", w.clone(), u.clone(), |a, c| a.softmax().dot(c));
    same!("log_softmax", w.clone(), u.clone(), |a, c| a
        .log_softmax()
        .dot(c));
    same!("logsumexp", w.clone(), u.clone(), |a, c| a.logsumexp()
        * c.sum());
    // Linear algebra.
    same!("transpose", m.clone(), n.clone(), |a, c| (a.transpose()
        * c)
        .sum());
    same!("trace", m.clone(), n.clone(), |a, c| (a * c).trace());
    same!("matvec", m.clone(), v.clone(), |a, c| a.matvec(c).norm());
    same!("matmul", m.clone(), n.clone(), |a, c| a.matmul(c).norm());
    same!("matmul_t", m.clone(), n.clone(), |a, c| a
        .matmul_t(c)
        .norm());
    same!("outer", w.clone(), u.clone(), |a, c| a.outer(c).norm());
    same!("dot", w.clone(), u.clone(), |a, c| a.dot(c) * a.dot(a));
    same!("add_row", m.clone(), u.clone(), |a, c| a.add_row(c).norm());
    same!("concat", w.clone(), u.clone(), |a, c| a.concat(c).norm());
    same!("shift_in", w.clone(), 0.5_f64, |a, c| a.shift_in(c).norm());
    same!("stack_rows", m.clone(), n.clone(), |a, c| a
        .stack_rows(c)
        .norm());
    // Losses: functions in the static engine, methods of the same names on the tape.
    macro_rules! loss {
        ($name:literal, $f:ident, $x:expr, $k:expr) => {{
            let (x, k) = ($x, $k);
            let t = Tape::new();
            let (a, c) = (t.var(x.clone()), t.constant(k.clone()));
            let tape_g = t.gradient(a.$f(c), a);
            let static_g = grad(|a| $f(a, constant(&k)), &x);
            check($name, flat(&tape_g), flat(&static_g));
        }};
    }
    loss!("squared_error", squared_error, m.clone(), n.clone());
    loss!("cross_entropy", cross_entropy, p.clone(), n.clone());
    loss!(
        "softmax_cross_entropy",
        softmax_cross_entropy,
        w.clone(),
        v.clone()
    );
    loss!(
        "softmax_cross_entropy_rows",
        softmax_cross_entropy_rows,
        m.clone(),
        p.clone()
    );
    // Containers.
    same!("sum_items", xs.clone(), 2.0_f64, |a, c| a.sum_items() * c);
    same!("product", xs.clone(), 2.0_f64, |a, c| a.product() * c);
    same!("maximum", xs.clone(), 2.0_f64, |a, c| a.maximum() * c);
    same!("minimum", xs.clone(), 2.0_f64, |a, c| a.minimum() * c);
    same!("length", xs.clone(), 2.0_f64, |a, c| a.length() * c
        + a.sum_items());

    let missing: Vec<_> = backprop::ops::table::operations()
        .into_iter()
        .filter(|op| !done.contains(op))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a tape case: {missing:?}"
    );
}

/// The tape works in `f32` too, numbers on either side included.
#[test]
fn the_tape_runs_in_f32() {
    let t = Tape::new();
    let x = t.var(Vector::<f32, U2>::from([0.5, 2.0]));
    let y = (2.0_f32 * x - 1.0_f32).tanh().sum() + (x * x).sum() / 4.0_f32;
    let g = t.gradient(y, x);
    let s = grad(
        |x| (2.0_f32 * x - 1.0_f32).tanh().sum() + (x * x).sum() / 4.0_f32,
        &Vector::<f32, U2>::from([0.5, 2.0]),
    );
    assert!(g.approx_eq(&s, 1e-6), "{g:?} vs {s:?}");
    let c = t.constant(3.0_f32);
    assert_eq!(t.gradient(x.sum() * c, x), Vector::filled(3.0));
}

/// `t.constant(1.0)` with an unsuffixed literal takes its scalar type from where it is used:
/// either side of an operator, an operand of a method, bound to a name first, even the
/// receiver of a method whose result meets an f32 later.
#[test]
fn an_unsuffixed_constant_takes_the_scalar_type_of_its_use() {
    let t = Tape::new();
    let x = t.var(2.0_f32);
    let v = t.var(Vector::<f32, U3>::from([1.0, 2.0, 3.0]));
    let one = t.constant(1.0);
    let y = (one - x) * t.constant(2.0)
        + (t.constant(0.5) * v).dot(v)
        + v.dot(t.constant(Vector::from([1.0, 0.0, 0.0])))
        + t.constant(0.0).exp() * x;
    let g = t.backward(y);
    let (gx, gv): (f32, Vector<f32, U3>) = {
        let mut g = g;
        (g.take(x), g.take(v))
    };
    // y = 2(1 - x) + 0.5|v|² + v₀ + x: dy/dx = -2 + 1, dy/dv = v + e₀.
    assert_eq!(gx, -1.0);
    assert_eq!(gv, Vector::from([2.0, 2.0, 3.0]));
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
