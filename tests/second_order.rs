//! Second derivatives (`backprop::tangent`): every operation's `H v` against central
//! differences of its gradient and its `J v` against central differences of its value, at
//! several points; `hvp` against `hessian * v`, `jvp` against `jacobian * v`; closed-form
//! Hessians; stability at extreme inputs.

mod common;
use backprop::entry::Placeholders;
use backprop::prelude::*;
use backprop::tangent::Tangent;
use backprop::Scalars;
use common::{matrix, values, vector};

/// The scalars of a value, in order.
fn flat<G: Scalars<f64>>(g: &G) -> Vec<f64> {
    let mut out = vec![];
    g.for_each_scalar(&mut |x| out.push(x));
    out
}

/// `x + h v`.
fn shifted<In: Scalars<f64> + Clone>(x: &In, v: &In, h: f64) -> In {
    let dv = flat(v);
    let mut y = x.clone();
    let mut i = 0;
    y.for_each_scalar_mut(&mut |s| {
        *s += h * dv[i];
        i += 1;
    });
    y
}

fn assert_close(name: &str, what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{name}: {what}: lengths");
    let scale = want.iter().fold(1.0_f64, |m, x| m.max(x.abs()));
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * scale,
            "{name}: {what}: got {got:?}, central differences {want:?}"
        );
    }
}

/// Checks `hvp` and `jvp` of `f` at `x` along `v` against central differences of `grad` and
/// `eval`, and `hvp`'s value and gradient against `value_and_grad`. Returns the largest
/// `|H v|` entry, so the caller can insist that something was checked.
fn check<In, F, N>(name: &str, f: F, x: &In, v: &In) -> f64
where
    In: backprop::expr::Input + Scalars<f64>,
    F: Fn(Placeholders<In>) -> Ex<N> + Copy,
    N: Tangent<In>,
    N::Out: Scalars<f64>,
{
    let h = 1e-5;
    let (y, g, hv) = hvp(f, x, v);
    let (y0, g0) = value_and_grad(f, x);
    assert_close(name, "value", &flat(&y), &flat(&y0), 1e-12);
    assert_close(name, "gradient", &flat(&g), &flat(&g0), 1e-12);
    let (gp, gm) = (grad(f, &shifted(x, v, h)), grad(f, &shifted(x, v, -h)));
    let fd: Vec<f64> = flat(&gp)
        .iter()
        .zip(flat(&gm))
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    assert_close(name, "H v", &flat(&hv), &fd, 1e-6);

    let (y1, yt) = jvp(f, x, v);
    assert_close(name, "jvp value", &flat(&y1), &flat(&y0), 1e-12);
    let (ep, em) = (eval(f, &shifted(x, v, h)), eval(f, &shifted(x, v, -h)));
    let fd: Vec<f64> = flat(&ep)
        .iter()
        .zip(flat(&em))
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    assert_close(name, "J v", &flat(&yt), &fd, 1e-6);
    flat(&hv).iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// [`check`] at two points, each along a direction that moves every scalar.
fn two_points<In, F, N>(name: &str, xs: [In; 2], f: F)
where
    In: backprop::expr::Input + Scalars<f64>,
    F: Fn(Placeholders<In>) -> Ex<N> + Copy,
    N: Tangent<In>,
    N::Out: Scalars<f64>,
{
    let mut largest: f64 = 0.0;
    for (i, x) in xs.into_iter().enumerate() {
        let d = values(1000 + i as u64, flat(&x).len(), -1.0, 1.0);
        let mut v = x.clone();
        let mut j = 0;
        v.for_each_scalar_mut(&mut |s| {
            *s = d[j];
            j += 1;
        });
        largest = largest.max(check(name, f, &x, &v));
    }
    // Linear operations have H v = 0 on their own: each case multiplies them by something of
    // the input, so a zero H v means nothing was checked.
    assert!(
        largest > 1e-8,
        "{name}: H v is zero: the case checks nothing"
    );
}

/// Every operation of the table (`backprop::ops::table::operations`), each at two points along
/// a direction that moves every input: a new operation without a case here fails the test.
#[test]
fn every_operation_has_checked_second_derivatives() {
    use std::collections::BTreeSet;
    let mut done: BTreeSet<&str> = BTreeSet::new();
    // `a` is the input, `c` a constant operand; each case runs at two points, `$x` and `$x2`.
    macro_rules! second {
        ($name:literal, [$x:expr, $x2:expr], $k:expr, |$a:ident, $c:ident| $body:expr) => {{
            let k = $k;
            two_points($name, [$x, $x2], |$a| {
                let $c = constant(&k);
                $body
            });
            done.insert($name);
        }};
    }
    let m = matrix::<U3, U3>(40, -1.0, 1.0);
    let m2 = matrix::<U3, U3>(50, -3.0, 3.0);
    let n = matrix::<U3, U3>(41, -1.0, 1.0);
    let p = matrix::<U3, U3>(44, 0.1, 1.0);
    let p2 = matrix::<U3, U3>(54, 0.01, 0.2);
    let v = vector::<U3>(42, 0.1, 1.0);
    let v2 = vector::<U3>(52, 2.0, 9.0);
    let u = vector::<U3>(43, -1.0, 1.0);
    let w = vector::<U3>(45, -1.0, 1.0);
    let w2 = vector::<U3>(55, -6.0, 6.0);
    let xs = vec![0.7_f64, -1.3, 2.1, 0.4];
    let xs2 = vec![-2.5_f64, 0.01, 3.0, -0.2, 1.5];

    // Elementwise functions (positive points for ln and sqrt; both signs elsewhere).
    second!("exp", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .exp()
        .dot(c));
    second!("ln", [v.clone(), v2.clone()], u.clone(), |a, c| a
        .ln()
        .dot(c));
    second!("sin", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .sin()
        .dot(c));
    second!("cos", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .cos()
        .dot(c));
    second!("tan", [w.clone(), w.map(|x| x * 1.4)], u.clone(), |a, c| a
        .tan()
        .dot(c));
    second!("tanh", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .tanh()
        .dot(c));
    second!("sqrt", [v.clone(), v2.clone()], u.clone(), |a, c| a
        .sqrt()
        .dot(c));
    second!("abs", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .abs()
        .dot(c)
        * a.sum());
    second!("recip", [v.clone(), v2.clone()], u.clone(), |a, c| a
        .recip()
        .dot(c));
    second!("logistic", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .logistic()
        .dot(c));
    second!("relu", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .relu()
        .dot(c)
        * a.sum());
    second!(
        "softplus",
        [w.clone(), w2.map(|x| x * 5.0)],
        u.clone(),
        |a, c| a.softplus().dot(c)
    );
    second!("powi", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .powi(3)
        .dot(c)
        + a.powi(-2).sum());
    // Operators, between values and with numbers on either side, and negation.
    second!("add", [w.clone(), w2.clone()], u.clone(), |a, c| ((a + c)
        * (a + 2.0)
        * (1.5 + a))
        .sum());
    second!("sub", [w.clone(), w2.clone()], u.clone(), |a, c| ((a - c)
        * (a - 2.0)
        * (1.5 - a))
        .sum());
    second!("mul", [w.clone(), w2.clone()], u.clone(), |a, c| (a
        * c
        * (a * 2.0)
        * (3.0 * a))
        .sum()
        + a.sum() * a);
    second!("div", [v.clone(), v2.clone()], u.clone(), |a, c| ((c / a)
        + (a / 2.0)
        + (1.0 / a)
        + a / a.sum())
    .sum());
    second!("neg", [w.clone(), w2.clone()], u.clone(), |a, c| (-a)
        .dot(c)
        * a.sum());
    second!("powf", [v.clone(), v2.clone()], 1.7_f64, |a, c| a
        .powf(c)
        .sum()
        + a.powf(a).sum());
    // Reductions.
    second!("sum", [m.clone(), m2.clone()], n.clone(), |a, c| (a * c)
        .sum()
        * a.sum());
    second!("mean", [m.clone(), m2.clone()], n.clone(), |a, c| (a * c)
        .mean()
        * a.mean());
    second!("norm", [m.clone(), m2.clone()], n.clone(), |a, c| (a + c)
        .norm());
    second!("row_sums", [m.clone(), m2.clone()], v.clone(), |a, c| a
        .row_sums()
        .dot(c)
        * a.sum());
    second!("col_sums", [m.clone(), m2.clone()], v.clone(), |a, c| a
        .col_sums()
        .dot(c)
        * a.sum());
    // Softmax family.
    second!("softmax", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .softmax()
        .dot(c));
    second!("log_softmax", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .log_softmax()
        .dot(c));
    second!("logsumexp", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .logsumexp()
        * c.sum());
    // Linear algebra.
    second!("transpose", [m.clone(), m2.clone()], n.clone(), |a, c| (a
        .transpose()
        * c)
        .sum()
        * a.sum());
    second!("trace", [m.clone(), m2.clone()], n.clone(), |a, c| (a * c)
        .trace()
        * a.trace());
    second!("matvec", [m.clone(), m2.clone()], v.clone(), |a, c| a
        .matvec(c)
        .norm()
        + a.matvec(a.row_sums()).sum());
    second!("matmul", [m.clone(), m2.clone()], n.clone(), |a, c| a
        .matmul(c)
        .norm()
        + a.matmul(a).sum());
    second!("matmul_t", [m.clone(), m2.clone()], n.clone(), |a, c| a
        .matmul_t(c)
        .norm()
        + a.matmul_t(a).sum());
    second!("outer", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .outer(c)
        .norm()
        + a.outer(a).sum());
    second!("dot", [w.clone(), w2.clone()], u.clone(), |a, c| a.dot(c)
        * a.dot(a));
    second!("add_row", [m.clone(), m2.clone()], u.clone(), |a, c| a
        .add_row(c)
        .norm());
    second!("concat", [w.clone(), w2.clone()], u.clone(), |a, c| a
        .concat(c)
        .norm());
    second!("shift_in", [w.clone(), w2.clone()], 0.5_f64, |a, c| a
        .shift_in(c)
        .norm());
    second!("stack_rows", [m.clone(), m2.clone()], n.clone(), |a, c| a
        .stack_rows(c)
        .norm());
    // Losses.
    second!(
        "squared_error",
        [m.clone(), m2.clone()],
        n.clone(),
        |a, c| squared_error(a, c) * squared_error(a, c)
    );
    second!(
        "cross_entropy",
        [p.clone(), p2.clone()],
        n.clone(),
        |a, c| cross_entropy(a, c)
    );
    second!(
        "softmax_cross_entropy",
        [w.clone(), w2.clone()],
        v.clone(),
        |a, c| softmax_cross_entropy(a, c)
    );
    second!(
        "softmax_cross_entropy_rows",
        [m.clone(), m2.clone()],
        p.clone(),
        |a, c| softmax_cross_entropy_rows(a, c)
    );
    // Containers.
    second!("sum_items", [xs.clone(), xs2.clone()], 2.0_f64, |a, c| a
        .sum_items()
        * a.sum_items()
        * c);
    second!("product", [xs.clone(), xs2.clone()], 2.0_f64, |a, c| a
        .product()
        * c);
    second!("maximum", [xs.clone(), xs2.clone()], 2.0_f64, |a, c| a
        .maximum()
        * a.sum_items()
        * c);
    second!("minimum", [xs.clone(), xs2.clone()], 2.0_f64, |a, c| a
        .minimum()
        * a.sum_items()
        * c);
    second!("length", [xs.clone(), xs2.clone()], 2.0_f64, |a, c| a
        .length()
        * a.sum_items()
        * a.sum_items()
        * c);

    // `map` takes the user's `f64` closures for f and f': no second derivative can be known
    // (`hvp` on it does not compile; see tests/ui/hvp_of_a_user_map.rs).
    let without_second_order = ["map"];
    let missing: Vec<_> = backprop::ops::table::operations()
        .into_iter()
        .filter(|op| !done.contains(op) && !without_second_order.contains(op))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a second-order case: {missing:?}"
    );
}

/// `dense`, `.then` (a bound value used twice), tuples of results, and a record of plain `f64`.
#[test]
fn nodes_with_structure_have_checked_second_derivatives() {
    let w = matrix::<U2, U3>(60, -1.0, 1.0);
    let b = vector::<U2>(61, -1.0, 1.0);
    let h = vector::<U3>(62, -1.0, 1.0);
    let x = (w.clone(), b.clone(), h.clone());
    let v = (
        matrix::<U2, U3>(63, -1.0, 1.0),
        vector::<U2>(64, -1.0, 1.0),
        vector::<U3>(65, -1.0, 1.0),
    );
    use backprop::ops::map::{Logistic, Tanh};
    check("dense tanh", |(w, b, h)| h.dense(w, b, Tanh).norm(), &x, &v);
    check(
        "dense logistic",
        |(w, b, h)| h.dense(w, b, Logistic).dot(b),
        &x,
        &v,
    );
    let hc = h.clone();
    check(
        "dense with a constant input",
        |(w, b, _)| constant(&hc).dense(w, b, Tanh).sum().powi(2),
        &x,
        &v,
    );
    check(
        "then",
        |(w, b, h)| (w.matvec(h) + b, h).then(|(z, h)| z.tanh().dot(z) * h.sum() + z.sum().exp()),
        &x,
        &v,
    );
    check(
        "tuple result",
        |(w, b, h)| tuple((w.matvec(h).sin(), b.exp())),
        &x,
        &v,
    );
}

#[derive(Clone, Debug, PartialEq, backprop::Backprop)]
struct Plain {
    rate: f64,
    offset: f64,
    gain: Vector<f64, U2>,
}

/// A record whose fields are plain `f64`: its gradient and `H v` come back as the record.
#[test]
fn a_record_of_plain_f64_fields_has_second_derivatives() {
    let p = Plain {
        rate: 0.3,
        offset: -1.2,
        gain: Vector::from([0.5, 2.0]),
    };
    let v = Plain {
        rate: 1.0,
        offset: 0.5,
        gain: Vector::from([-1.0, 0.25]),
    };
    let f = |p: Placeholders<Plain>| (p.rate * p.gain + p.offset).exp().sum() * p.rate;
    let hv_max = check("record", f, &p, &v);
    assert!(hv_max > 0.0);
    // Hessian rows of the record's type, one per scalar (4 of them).
    let rows = hessian(f, &p);
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        let mut e = flat(&p).iter().map(|_| 0.0).collect::<Vec<_>>();
        e[i] = 1.0;
        let mut ei = p.clone();
        let mut j = 0;
        ei.for_each_scalar_mut(&mut |s| {
            *s = e[j];
            j += 1;
        });
        assert_eq!(*row, hvp(f, &p, &ei).2);
    }
}

/// `hvp` equals the Hessian times `v`; `jvp` equals the Jacobian (from reverse mode) times `v`.
#[test]
fn hvp_is_hessian_times_v_and_jvp_is_jacobian_times_v() {
    let x = vector::<U4>(70, -1.0, 1.0);
    let v = vector::<U4>(71, -1.0, 1.0);
    let f = |x: Placeholders<Vector<f64, U4>>| (x.dot(x) + 1.0).ln() * x.softmax().dot(x);
    let h: Matrix<f64, U4, U4> = hessian(f, &x);
    let hv = hvp(f, &x, &v).2;
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| h[(i, j)] * v[j]).sum();
        assert!((hv[i] - want).abs() < 1e-12, "{i}: {} vs {want}", hv[i]);
    }
    // The Hessian is symmetric.
    for i in 0..4 {
        for j in 0..4 {
            assert!((h[(i, j)] - h[(j, i)]).abs() < 1e-12);
        }
    }
    let g = |x: Placeholders<Vector<f64, U4>>| x.tanh() * x.sum() + x.softmax();
    let j = jacobian(g, &x);
    let (_, jv) = jvp(g, &x, &v);
    for (i, row) in j.iter().enumerate() {
        let want: f64 = (0..4).map(|k| row[k] * v[k]).sum();
        assert!((jv[i] - want).abs() < 1e-12, "{i}: {} vs {want}", jv[i]);
    }
}

/// A quadratic form's Hessian is `A + Aᵀ`, at any point.
#[test]
fn the_hessian_of_a_quadratic_form_is_a_plus_a_transpose() {
    let a = matrix::<U4, U4>(80, -2.0, 2.0);
    for seed in [81, 82] {
        let x = vector::<U4>(seed, -5.0, 5.0);
        let h: Matrix<f64, U4, U4> = hessian(|x| x.dot(constant(&a).matvec(x)), &x);
        for i in 0..4 {
            for j in 0..4 {
                assert!((h[(i, j)] - (a[(i, j)] + a[(j, i)])).abs() < 1e-12);
            }
        }
    }
}

/// Log-sum-exp's Hessian is `diag(p) - p pᵀ` with `p = softmax(x)`; finite and exact near
/// ±1000, where a naive `ln(sum(exp x))` overflows.
#[test]
fn the_hessian_of_logsumexp_is_diag_p_minus_p_p_transpose() {
    for (seed, lo, hi) in [(90, -1.0, 1.0), (91, 995.0, 1000.0), (92, -1000.0, -995.0)] {
        let x = vector::<U4>(seed, lo, hi);
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = x.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        let p: Vec<f64> = e.iter().map(|v| v / s).collect();
        let h: Matrix<f64, U4, U4> = hessian(|x| x.logsumexp(), &x);
        for i in 0..4 {
            for j in 0..4 {
                let want = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
                assert!(
                    h[(i, j)].is_finite() && (h[(i, j)] - want).abs() < 1e-12,
                    "x in [{lo}, {hi}]: H[{i},{j}] = {} vs {want}",
                    h[(i, j)]
                );
            }
        }
        // Softmax's second order stays finite there too.
        let (_, g, hv) = hvp(|x| x.softmax().dot(x), &x, &x);
        assert!(flat(&g)
            .iter()
            .chain(flat(&hv).iter())
            .all(|v| v.is_finite()));
        let target = Vector::<f64, U4>::from_fn(|i| p[i]);
        let (_, g, hv) = hvp(|x| softmax_cross_entropy(x, constant(&target)), &x, &x);
        assert!(flat(&g)
            .iter()
            .chain(flat(&hv).iter())
            .all(|v| v.is_finite()));
    }
}

/// Logistic regression: the Hessian of the summed log-loss in the weights is
/// `Xᵀ diag(p (1 - p)) X`.
#[test]
fn the_hessian_of_logistic_regression_is_xt_diag_p_one_minus_p_x() {
    let xm = matrix::<U5, U3>(100, -2.0, 2.0);
    let y = vector::<U5>(101, 0.0, 1.0).map(|v| if v > 0.5 { 1.0 } else { 0.0 });
    let w = vector::<U3>(102, -1.0, 1.0);
    // loss = sum softplus(z) - y z, z = X w
    let loss = |w: Placeholders<Vector<f64, U3>>| {
        let z = constant(&xm).matvec(w);
        z.softplus().sum() - z.dot(constant(&y))
    };
    let h: Matrix<f64, U3, U3> = hessian(loss, &w);
    let z: Vec<f64> = (0..5)
        .map(|i| (0..3).map(|j| xm[(i, j)] * w[j]).sum())
        .collect();
    let p: Vec<f64> = z.iter().map(|z| 1.0 / (1.0 + (-z).exp())).collect();
    for a in 0..3 {
        for b in 0..3 {
            let want: f64 = (0..5)
                .map(|i| xm[(i, a)] * p[i] * (1.0 - p[i]) * xm[(i, b)])
                .sum();
            assert!(
                (h[(a, b)] - want).abs() < 1e-12,
                "{a},{b}: {} vs {want}",
                h[(a, b)]
            );
        }
    }
}

/// The snippet, with values derived by hand.
#[test]
fn the_snippet_matches_hand_derived_values() {
    let (y, dy) = jvp(|x| x.sin() * x, &0.5_f64, &1.0);
    assert_eq!(y, 0.5_f64.sin() * 0.5);
    assert!((dy - (0.5_f64.sin() + 0.5 * 0.5_f64.cos())).abs() < 1e-15);

    let x = Vector::<f64, U3>::from([1.0, 2.0, -1.0]);
    let v = Vector::<f64, U3>::from([0.0, 1.0, 0.0]);
    // f = (x.x)(Σx) + Σ exp x; ∇f = 2x Σx + x.x + exp x; H = 2 Σx I + 2 (x 1ᵀ + 1 xᵀ) + diag(exp x)
    let (y, g, hv) = hvp(|x| x.dot(x) * x.sum() + x.exp().sum(), &x, &v);
    let e = |v: f64| v.exp();
    assert!((y - (6.0 * 2.0 + e(1.0) + e(2.0) + e(-1.0))).abs() < 1e-12);
    let g_want = [4.0 + 6.0 + e(1.0), 8.0 + 6.0 + e(2.0), -4.0 + 6.0 + e(-1.0)];
    let hv_want = [6.0, 4.0 + 8.0 + e(2.0), 2.0];
    for i in 0..3 {
        assert!((g[i] - g_want[i]).abs() < 1e-12);
        assert!((hv[i] - hv_want[i]).abs() < 1e-12);
    }
    let h: Matrix<f64, U3, U3> = hessian(|x| x.dot(x) * x.sum() + x.exp().sum(), &x);
    let h_want = [
        [8.0 + e(1.0), 6.0, 0.0],
        [6.0, 12.0 + e(2.0), 2.0],
        [0.0, 2.0, 0.0 + e(-1.0)],
    ];
    for i in 0..3 {
        for j in 0..3 {
            assert!((h[(i, j)] - h_want[i][j]).abs() < 1e-12, "{i},{j}");
        }
    }
    // σ(w.x + b): gradient σ' (x, 1), H v = σ'' ((x, 1).v) (x, 1), σ' = p(1-p), σ'' = σ'(1-2p)
    let (loss, (gw, gb), (hw, hb)) = hvp(
        |(w, b)| (w.dot(constant(&x)) + b).logistic(),
        &(x.clone(), 0.5),
        &(v.clone(), 1.0),
    );
    let p = 1.0 / (1.0 + (-6.5_f64).exp());
    let (d1, d2) = (p * (1.0 - p), p * (1.0 - p) * (1.0 - 2.0 * p));
    let xv = 2.0 + 1.0;
    assert!((loss - p).abs() < 1e-15);
    assert!((gb - d1).abs() < 1e-15 && (hb - d2 * xv).abs() < 1e-15);
    for i in 0..3 {
        assert!((gw[i] - d1 * x[i]).abs() < 1e-15);
        assert!((hw[i] - d2 * xv * x[i]).abs() < 1e-15);
    }
}

/// Inputs of every kind: an array and a `Vec` of vectors (one placeholder each, read by the
/// sequence operations), and a tuple holding both with a scalar.
#[test]
fn arrays_and_vecs_as_inputs_have_second_derivatives() {
    let a = [vector::<U3>(110, -1.0, 1.0), vector::<U3>(111, -1.0, 1.0)];
    let da = [vector::<U3>(112, -1.0, 1.0), vector::<U3>(113, -1.0, 1.0)];
    check(
        "array",
        |a| a.sum_items().tanh().dot(a.sum_items()),
        &a,
        &da,
    );
    let xs = vec![0.7_f64, -1.3, 2.1];
    let dxs = vec![0.2_f64, 0.4, -1.0];
    check("vec", |xs| xs.product() * xs.sum_items().sin(), &xs, &dxs);
    let both = (a.clone(), xs.clone(), 0.3_f64);
    let dboth = (da.clone(), dxs.clone(), -0.5_f64);
    type Mixed = ([Vector<f64, U3>; 2], Vec<f64>, f64);
    let f =
        |(a, xs, s): Placeholders<Mixed>| a.sum_items().logsumexp() * s + xs.sum_items() * s * s;
    check("tuple of array, vec, scalar", f, &both, &dboth);
    // Its Hessian: one row of the input's type per scalar (6 + 3 + 1).
    assert_eq!(hessian(f, &both).len(), 10);
}

/// `fold` and `scan`: a recurrence whose weights are read inside the body, over scalars and
/// over vectors, checked against central differences.
#[test]
fn folds_and_scans_have_second_derivatives() {
    type Scalars3 = (f64, f64, Vec<f64>);
    let x: Scalars3 = (0.8, 0.3, vec![0.5, -1.2, 0.7, 2.0]);
    let v: Scalars3 = (-0.4, 1.0, vec![0.3, 0.1, -0.6, 0.2]);
    check(
        "fold over scalars",
        |(w, h0, xs): Placeholders<Scalars3>| xs.fold(h0, |(h, x)| (h * w + x).tanh()) * w,
        &x,
        &v,
    );
    check(
        "scan over scalars",
        |(w, h0, xs): Placeholders<Scalars3>| {
            xs.scan(h0, |(h, x)| (h * w).sin() + x * h).sum_items()
        },
        &x,
        &v,
    );
    type Rnn = (Matrix<f64, U3, U3>, Vec<Vector<f64, U3>>);
    let x: Rnn = (
        matrix::<U3, U3>(120, -0.8, 0.8),
        (0..5).map(|i| vector::<U3>(121 + i, -1.0, 1.0)).collect(),
    );
    let v: Rnn = (
        matrix::<U3, U3>(130, -1.0, 1.0),
        (0..5).map(|i| vector::<U3>(131 + i, -1.0, 1.0)).collect(),
    );
    let h0 = Vector::<f64, U3>::filled(0.1);
    check(
        "tanh RNN over vectors",
        |(w, xs): Placeholders<Rnn>| {
            xs.fold(constant(&h0), |(h, x)| (w.matvec(h) + x).tanh())
                .logsumexp()
        },
        &x,
        &v,
    );
}
