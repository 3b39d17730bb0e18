//! Dual numbers: every function's derivative part against central differences of the plain
//! function at several points (awkward ones included), nesting (second derivatives), and the
//! crate's engine running on dual scalars (a gradient at `x + v ε` carries `H v`).

use backprop::dual::Dual;
use backprop::prelude::*;
use num_traits::Float;

/// Central difference of `f` at `x`.
fn numeric(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

fn check(name: &str, f: impl Fn(Dual<f64>) -> Dual<f64>, g: impl Fn(f64) -> f64, xs: &[f64]) {
    for &x in xs {
        let d = f(Dual::new(x, 1.0));
        let v = g(x);
        assert!(
            (d.re - v).abs() <= 1e-15 * v.abs(),
            "{name}({x}): value {} vs {v}",
            d.re
        );
        let want = numeric(&g, x);
        let tol = 1e-6 * want.abs().max(1.0);
        assert!(
            (d.eps - want).abs() <= tol,
            "{name}'({x}): {} vs {want}",
            d.eps
        );
        // The derivative part scales with the direction.
        let d3 = f(Dual::new(x, 3.0));
        assert!(
            (d3.eps - 3.0 * d.eps).abs() <= 1e-12 * d.eps.abs().max(1.0),
            "{name}: linear"
        );
    }
}

#[test]
fn every_function_matches_central_differences() {
    let any = [-2.3, -0.7, -1e-3, 0.4, 1.0, 3.1];
    let pos = [1e-3, 0.2, 1.0, 2.5, 40.0];
    let unit = [-0.9, -0.3, 0.0, 0.5, 0.95];
    check("exp", |x| x.exp(), f64::exp, &any);
    check("exp2", |x| x.exp2(), f64::exp2, &any);
    check("exp_m1", |x| x.exp_m1(), f64::exp_m1, &any);
    check("ln", |x| x.ln(), f64::ln, &pos);
    check("ln_1p", |x| x.ln_1p(), f64::ln_1p, &pos);
    check("log2", |x| x.log2(), f64::log2, &pos);
    check("log10", |x| x.log10(), f64::log10, &pos);
    check("log3", |x| x.log(Dual::constant(3.0)), |x| x.log(3.0), &pos);
    check("sqrt", |x| x.sqrt(), f64::sqrt, &pos);
    check("cbrt", |x| x.cbrt(), f64::cbrt, &any);
    check("recip", |x| x.recip(), f64::recip, &[-2.0, -0.1, 0.3, 7.0]);
    check("sin", |x| x.sin(), f64::sin, &any);
    check("cos", |x| x.cos(), f64::cos, &any);
    check("tan", |x| x.tan(), f64::tan, &[-1.2, -0.3, 0.0, 0.8, 1.4]);
    check("sin_cos.0", |x| x.sin_cos().0, |x| x.sin_cos().0, &any);
    check("sin_cos.1", |x| x.sin_cos().1, |x| x.sin_cos().1, &any);
    check("asin", |x| x.asin(), f64::asin, &unit);
    check("acos", |x| x.acos(), f64::acos, &unit);
    check("atan", |x| x.atan(), f64::atan, &any);
    check("sinh", |x| x.sinh(), f64::sinh, &any);
    check("cosh", |x| x.cosh(), f64::cosh, &any);
    check("tanh", |x| x.tanh(), f64::tanh, &any);
    check("asinh", |x| x.asinh(), f64::asinh, &any);
    check("acosh", |x| x.acosh(), f64::acosh, &[1.01, 1.5, 4.0]);
    check("atanh", |x| x.atanh(), f64::atanh, &unit);
    check("abs", |x| x.abs(), f64::abs, &[-2.0, -0.1, 0.3, 7.0]);
    check("powi3", |x| x.powi(3), |x| x.powi(3), &any);
    check(
        "powi-2",
        |x| x.powi(-2),
        |x| x.powi(-2),
        &[-2.0, -0.1, 0.3, 7.0],
    );
    check("powi0", |x| x.powi(0) + x, |x| x.powi(0) + x, &any);
    check(
        "powf",
        |x| x.powf(Dual::constant(2.5)),
        |x| x.powf(2.5),
        &pos,
    );
    check(
        "pow_x",
        |x| Dual::constant(1.7).powf(x),
        |x| 1.7_f64.powf(x),
        &any,
    );
    check("x^x", |x| x.powf(x), |x| x.powf(x), &pos);
    check(
        "hypot",
        |x| x.hypot(Dual::constant(2.0)),
        |x| x.hypot(2.0),
        &any,
    );
    check(
        "atan2",
        |x| x.atan2(Dual::constant(-1.5)),
        |x| x.atan2(-1.5),
        &any,
    );
    check(
        "atan2_x",
        |x| Dual::constant(0.7).atan2(x),
        |x| 0.7_f64.atan2(x),
        &any,
    );
    check(
        "div",
        |x| Dual::constant(3.0) / (x * x + Dual::constant(1.0)),
        |x| 3.0 / (x * x + 1.0),
        &any,
    );
    check(
        "rem",
        |x| x % Dual::constant(0.9),
        |x| x % 0.9,
        &[-2.3, 0.4, 1.0, 3.1],
    );
    check("fract", |x| x.fract(), f64::fract, &[-2.3, 0.4, 3.1]);
    check(
        "mul_add",
        |x| x.mul_add(x, Dual::constant(1.0)),
        |x| x.mul_add(x, 1.0),
        &any,
    );
    check("max", |x| x.max(Dual::constant(0.5)), |x| x.max(0.5), &any);
    check("min", |x| x.min(Dual::constant(0.5)), |x| x.min(0.5), &any);
}

#[test]
fn nested_duals_give_second_derivatives() {
    // f(x) = x^3 sin x: f'' = 6x sin x + 6x^2 cos x - x^3 sin x
    let f = |x: Dual<Dual<f64>>| x.powi(3) * x.sin();
    for x in [-1.3, 0.2, 2.0_f64] {
        let d = f(Dual::new(Dual::new(x, 1.0), Dual::new(1.0, 0.0)));
        let f2 = 6.0 * x * x.sin() + 6.0 * x * x * x.cos() - x.powi(3) * x.sin();
        assert!(
            (d.eps.eps - f2).abs() < 1e-12 * f2.abs().max(1.0),
            "{} vs {f2}",
            d.eps.eps
        );
        // Both first-derivative parts agree.
        assert!((d.eps.re - d.re.eps).abs() < 1e-15);
    }
}

#[test]
fn a_gradient_at_dual_inputs_carries_the_hessian_vector_product() {
    // f(x) = (x . x) sum(x) + sum(exp x): H = 2 (1 x^T + x 1^T) + 2 sum(x) I + diag(exp x)
    let x = [1.0, 2.0, -1.0];
    let v = [0.0, 1.0, 0.0];
    let xd = Vector::<Dual<f64>, U3>::from_fn(|i| Dual::new(x[i], v[i]));
    let (y, g) = value_and_grad(|x| x.dot(x) * x.sum() + x.exp().sum(), &xd);
    let s: f64 = x.iter().sum();
    let xx: f64 = x.iter().map(|a| a * a).sum();
    assert!((y.re - (xx * s + x.iter().map(|a| a.exp()).sum::<f64>())).abs() < 1e-12);
    for i in 0..3 {
        let grad = 2.0 * x[i] * s + xx + x[i].exp();
        let hv: f64 = (0..3)
            .map(|j| {
                let h = 2.0 * (x[i] + x[j]) + if i == j { 2.0 * s + x[i].exp() } else { 0.0 };
                h * v[j]
            })
            .sum();
        assert!((g[i].re - grad).abs() < 1e-12, "gradient {i}");
        assert!(
            (g[i].eps - hv).abs() < 1e-12,
            "Hv {i}: {} vs {hv}",
            g[i].eps
        );
    }
}

#[test]
fn dual_matrices_go_through_products_and_reductions() {
    // The engine's generic kernels (GEMM as a triple loop, portable reductions) on dual scalars:
    // the derivative part of a scalar loss equals the directional derivative by differences.
    let a = [[0.3, -1.2], [0.8, 0.5]];
    let dir = [[1.0, 0.5], [-0.5, 2.0]];
    let loss = |t: f64| {
        let m = Matrix::<f64, U2, U2>::from_fn(|r, c| a[r][c] + t * dir[r][c]);
        eval(|m| m.matmul(m).tanh().row_sums().logsumexp(), &m)
    };
    let md = Matrix::<Dual<f64>, U2, U2>::from_fn(|r, c| Dual::new(a[r][c], dir[r][c]));
    let y = eval(|m| m.matmul(m).tanh().row_sums().logsumexp(), &md);
    let want = numeric(loss, 0.0);
    assert!((y.re - loss(0.0)).abs() < 1e-14);
    assert!((y.eps - want).abs() < 1e-7, "{} vs {want}", y.eps);
}
