//! Second derivatives on the tape (a tape of dual numbers): every operation of the table gives
//! the static engine's `H v` (itself checked against central differences in
//! `second_order.rs`), and `tape::jvp` its `J v`.

mod common;
use backprop::dual::Dual;
use backprop::prelude::*;
use backprop::tangent::{eps, lift};
use backprop::tape::Tape;
use backprop::Scalars;
use common::{matrix, values, vector};

fn flat<G: Scalars<f64>>(g: &G) -> Vec<f64> {
    let mut out = vec![];
    g.for_each_scalar(&mut |x| out.push(x));
    out
}

fn close(name: &str, tape: &[f64], stat: &[f64]) {
    assert_eq!(tape.len(), stat.len(), "{name}");
    let scale = stat.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    assert!(scale > 1e-8, "{name}: a zero H v checks nothing");
    for (t, s) in tape.iter().zip(stat) {
        assert!(
            (t - s).abs() <= 1e-12 * scale.max(1.0),
            "{name}: tape {tape:?} vs static {stat:?}"
        );
    }
}

/// A direction of `x`'s shape moving every scalar.
/// The `ε` parts of a lifted value of `x`'s type.
fn eps_like<X: backprop::Tensor>(_: &X, d: &backprop::tangent::Lifted<X>) -> X {
    eps::<X>(d)
}

fn direction<X: Scalars<f64> + Clone>(x: &X, seed: u64) -> X {
    let d = values(seed, flat(x).len(), -1.0, 1.0);
    let mut v = x.clone();
    let mut i = 0;
    v.for_each_scalar_mut(&mut |s| {
        *s = d[i];
        i += 1;
    });
    v
}

#[test]
fn every_operation_on_a_tape_of_duals_matches_the_static_engine() {
    use std::collections::BTreeSet;
    let mut done: BTreeSet<&str> = BTreeSet::new();
    // One body for both engines: `a` the input, `c` a constant operand.
    macro_rules! same {
        ($name:literal, $x:expr, $k:expr, |$a:ident, $c:ident| $body:expr) => {{
            let (x, k) = ($x, $k);
            let v = direction(&x, 7);
            let t = Tape::new();
            let ($a, $c) = (t.var(lift(&x, Some(&v))), t.constant(lift(&k, None)));
            let y = $body;
            let tape_hv = eps_like(&x, &t.gradient(y, $a));
            let (_, _, static_hv) = hvp(
                |$a| {
                    let $c = constant(&k);
                    $body
                },
                &x,
                &v,
            );
            close($name, &flat(&tape_hv), &flat(&static_hv));
            done.insert($name);
        }};
    }
    let m = matrix::<U3, U3>(40, -1.0, 1.0);
    let n = matrix::<U3, U3>(41, -1.0, 1.0);
    let p = matrix::<U3, U3>(44, 0.1, 1.0);
    let v = vector::<U3>(42, 0.1, 1.0);
    let u = vector::<U3>(43, -1.0, 1.0);
    let w = vector::<U3>(45, -1.0, 1.0);

    same!("exp", w.clone(), u.clone(), |a, c| a.exp().dot(c));
    same!("ln", v.clone(), u.clone(), |a, c| a.ln().dot(c));
    same!("sin", w.clone(), u.clone(), |a, c| a.sin().dot(c));
    same!("cos", w.clone(), u.clone(), |a, c| a.cos().dot(c));
    same!("tan", w.clone(), u.clone(), |a, c| a.tan().dot(c));
    same!("tanh", w.clone(), u.clone(), |a, c| a.tanh().dot(c));
    same!("sqrt", v.clone(), u.clone(), |a, c| a.sqrt().dot(c));
    same!("abs", w.clone(), u.clone(), |a, c| a.abs().dot(c) * a.sum());
    same!("recip", v.clone(), u.clone(), |a, c| a.recip().dot(c));
    same!("logistic", w.clone(), u.clone(), |a, c| a.logistic().dot(c));
    same!("relu", w.clone(), u.clone(), |a, c| a.relu().dot(c)
        * a.sum());
    same!("softplus", w.clone(), u.clone(), |a, c| a.softplus().dot(c));
    same!("powi", w.clone(), u.clone(), |a, c| a.powi(3).dot(c));
    same!("add", w.clone(), u.clone(), |a, c| ((a + c) * (a + c))
        .sum());
    same!("sub", w.clone(), u.clone(), |a, c| ((a - c) * (c - a) * a)
        .sum());
    same!("mul", w.clone(), u.clone(), |a, c| (a * c * a).sum());
    same!("div", v.clone(), u.clone(), |a, c| ((c / a) + a / a.sum())
        .sum());
    same!("neg", w.clone(), u.clone(), |a, c| (-a).dot(c) * a.sum());
    same!("sum", m.clone(), n.clone(), |a, c| (a * c).sum() * a.sum());
    same!("mean", m.clone(), n.clone(), |a, c| (a * c).mean()
        * a.mean());
    same!("norm", m.clone(), n.clone(), |a, c| (a + c).norm());
    same!("row_sums", m.clone(), v.clone(), |a, c| a.row_sums().dot(c)
        * a.sum());
    same!("col_sums", m.clone(), v.clone(), |a, c| a.col_sums().dot(c)
        * a.sum());
    same!("softmax", w.clone(), u.clone(), |a, c| a.softmax().dot(c));
    same!("log_softmax", w.clone(), u.clone(), |a, c| a
        .log_softmax()
        .dot(c));
    same!("logsumexp", w.clone(), u.clone(), |a, c| a.logsumexp()
        * c.sum());
    same!("transpose", m.clone(), n.clone(), |a, c| (a.transpose()
        * c)
        .sum()
        * a.sum());
    same!("trace", m.clone(), n.clone(), |a, c| (a * c).trace()
        * a.trace());
    same!("matvec", m.clone(), v.clone(), |a, c| a.matvec(c).norm()
        + a.matvec(a.row_sums()).sum());
    same!("matmul", m.clone(), n.clone(), |a, c| a.matmul(c).norm()
        + a.matmul(a).sum());
    same!("matmul_t", m.clone(), n.clone(), |a, c| a
        .matmul_t(c)
        .norm()
        + a.matmul_t(a).sum());
    same!("outer", w.clone(), u.clone(), |a, c| a.outer(c).norm()
        + a.outer(a).sum());
    same!("dot", w.clone(), u.clone(), |a, c| a.dot(c) * a.dot(a));
    same!("add_row", m.clone(), u.clone(), |a, c| a.add_row(c).norm());
    same!("concat", w.clone(), u.clone(), |a, c| a.concat(c).norm());
    same!("shift_in", w.clone(), 0.5_f64, |a, c| a.shift_in(c).norm());
    same!("stack_rows", m.clone(), n.clone(), |a, c| a
        .stack_rows(c)
        .norm());
    macro_rules! loss {
        ($name:literal, $f:ident, $x:expr, $k:expr) => {{
            let (x, k) = ($x, $k);
            let vd = direction(&x, 9);
            let t = Tape::new();
            let (a, c) = (t.var(lift(&x, Some(&vd))), t.constant(lift(&k, None)));
            let tape_hv = eps_like(&x, &t.gradient(a.$f(c), a));
            let (_, _, static_hv) = hvp(|a| $f(a, constant(&k)), &x, &vd);
            close($name, &flat(&tape_hv), &flat(&static_hv));
            done.insert($name);
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
    // Containers: a `Vec` of scalars, lifted by hand.
    let xs = vec![0.7_f64, -1.3, 2.1, 0.4];
    let vs = vec![0.3_f64, 0.5, -0.2, 1.0];
    macro_rules! items {
        ($name:literal, |$a:ident| $body:expr) => {{
            let t = Tape::new();
            let lifted: Vec<Dual<f64>> =
                xs.iter().zip(&vs).map(|(&x, &v)| Dual::new(x, v)).collect();
            let $a = t.var(lifted);
            let y = $body;
            let tape_hv: Vec<f64> = t.gradient(y, $a).iter().map(|d| d.eps).collect();
            let (_, _, static_hv) = hvp(|$a| $body, &xs, &vs);
            close($name, &tape_hv, &static_hv);
            done.insert($name);
        }};
    }
    items!("sum_items", |a| a.sum_items() * a.sum_items());
    items!("product", |a| a.product());
    items!("maximum", |a| a.maximum() * a.sum_items());
    items!("minimum", |a| a.minimum() * a.sum_items());
    items!("length", |a| a.length() * a.sum_items() * a.sum_items());

    // `map` takes `f64` closures: on a tape of duals it would need closures over duals.
    let without = ["map"];
    let missing: Vec<_> = backprop::ops::table::operations()
        .into_iter()
        .filter(|op| !done.contains(op) && !without.contains(op))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a tape case: {missing:?}"
    );
}

/// `tape::hvp` and `tape::jvp` against the static engine, with value-independent control flow.
#[test]
fn tape_hvp_and_jvp_match_the_static_engine() {
    let x = vector::<U4>(70, -1.0, 1.0);
    let v = vector::<U4>(71, -1.0, 1.0);
    let (y, g, hv) = backprop::tape::hvp(|_, x| x.dot(x).exp() * x.softmax().dot(x), &x, &v);
    let (ys, gs, hs) = hvp(|x| x.dot(x).exp() * x.softmax().dot(x), &x, &v);
    assert!((y - ys).abs() < 1e-14);
    assert!(
        g.approx_eq(&gs, 1e-14) && hv.approx_eq(&hs, 1e-13),
        "{hv:?} vs {hs:?}"
    );
    let (y, jv) = backprop::tape::jvp(|_, x| x.tanh() * x.sum(), &x, &v);
    let (ys, js) = jvp(|x| x.tanh() * x.sum(), &x, &v);
    assert!(y.approx_eq(&ys, 1e-15) && jv.approx_eq(&js, 1e-14));
}
