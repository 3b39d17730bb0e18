//! Every elementwise function and arithmetic operator: gradient against central differences at
//! several points (negative, small, large), value against its closed form.

mod common;
use backprop::prelude::*;
use common::{close, vector};

/// Checks `f` (built with the crate) against `closed` (plain f64) in value, and its gradient
/// against central differences, at every point.
fn check_unary<F, N>(name: &str, f: F, closed: impl Fn(f64) -> f64, points: &[f64])
where
    F: Fn(Placeholders<f64>) -> Ex<N>,
    N: backprop::expr::Diff<f64, Out = f64>,
{
    for &x in points {
        let y = eval(&f, &x);
        assert!(
            close(y, closed(x), 1e-14),
            "{name}({x}) = {y}, expected {}",
            closed(x)
        );
        let report = check_grad(&f, &x, 1e-6);
        assert!(report.passed(1e-6), "{name} at {x}: {report}");
    }
}

#[test]
fn elementwise_functions() {
    check_unary("exp", |x| x.exp(), f64::exp, &[-30.0, -1.0, 0.5, 20.0]);
    check_unary("ln", |x| x.ln(), f64::ln, &[1e-3, 0.5, 3.0, 1e4]);
    check_unary("sin", |x| x.sin(), f64::sin, &[-4.0, -0.5, 0.0, 2.0, 100.0]);
    check_unary("cos", |x| x.cos(), f64::cos, &[-4.0, -0.5, 0.0, 2.0, 100.0]);
    check_unary("tan", |x| x.tan(), f64::tan, &[-1.2, -0.3, 0.4, 1.3]);
    check_unary("tanh", |x| x.tanh(), f64::tanh, &[-20.0, -1.0, 0.3, 5.0]);
    check_unary("sqrt", |x| x.sqrt(), f64::sqrt, &[1e-3, 0.5, 4.0, 1e6]);
    check_unary("abs", |x| x.abs(), f64::abs, &[-3.0, -0.2, 0.2, 3.0]);
    check_unary("recip", |x| x.recip(), f64::recip, &[-4.0, -0.3, 0.5, 7.0]);
    check_unary("neg", |x| -x, |x| -x, &[-4.0, 0.0, 7.0]);
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    check_unary(
        "logistic",
        |x| x.logistic(),
        logistic,
        &[-40.0, -2.0, 0.0, 3.0, 40.0],
    );
    check_unary(
        "relu",
        |x| x.relu(),
        |x| x.max(0.0),
        &[-3.0, -0.5, 0.5, 3.0],
    );
    let softplus = |x: f64| if x > 30.0 { x } else { x.exp().ln_1p() };
    check_unary(
        "softplus",
        |x| x.softplus(),
        softplus,
        &[-50.0, -1.0, 0.1, 2.0, 50.0],
    );
    for n in [-2, 0, 1, 2, 3, 7] {
        let pts = [-1.5, -0.7, 0.6, 2.0];
        check_unary("powi", move |x| x.powi(n), move |x| x.powi(n), &pts);
    }
    check_unary(
        "powf const",
        |x| x.powf(2.5),
        |x| x.powf(2.5),
        &[0.1, 1.0, 3.0, 50.0],
    );
    check_unary(
        "powf neg exponent",
        |x| x.powf(-0.5),
        |x| x.powf(-0.5),
        &[0.1, 1.0, 30.0],
    );
}

#[test]
fn edges_of_nonsmooth_functions() {
    // At their kinks the crate picks a documented subgradient.
    assert_eq!(grad(|x| x.abs(), &0.0_f64), 0.0);
    assert_eq!(grad(|x| x.relu(), &0.0_f64), 0.0);
    assert_eq!(grad(|x| x.powi(0), &0.0_f64), 0.0);
    // Large magnitudes stay finite where the math is finite.
    assert_eq!(value_and_grad(|x| x.logistic(), &-1000.0_f64), (0.0, 0.0));
    assert_eq!(value_and_grad(|x| x.softplus(), &-1000.0_f64), (0.0, 0.0));
    assert_eq!(value_and_grad(|x| x.tanh(), &1000.0_f64), (1.0, 0.0));
}

#[test]
fn user_elementwise_map() {
    let cube = |x: Placeholders<f64>| x.map(|v| v * v * v, |v, _| 3.0 * v * v);
    check_unary("map cube", cube, |x| x * x * x, &[-2.0, 0.5, 3.0]);
    // The derivative may use the output: d/dx e^x = y.
    let e = |x: Placeholders<f64>| x.map(f64::exp, |_, y| y);
    check_unary("map exp", e, f64::exp, &[-3.0, 0.0, 2.0]);
    // On a vector, elementwise.
    let v = vector::<U5>(1, -2.0, 2.0);
    assert_grad!(
        |v| v.map(|t| t.sin() * t, |t, _| t.cos() * t + t.sin()).sum(),
        &v
    );
}

#[test]
fn arithmetic_between_expressions() {
    let points = [(-2.5, 0.7), (0.3, -1.9), (40.0, 3.0), (-0.01, 150.0)];
    for (a, b) in points {
        let x = (a, b);
        assert_eq!(eval(|(a, b)| a + b, &x), a + b);
        assert_eq!(eval(|(a, b)| a - b, &x), a - b);
        assert_eq!(eval(|(a, b)| a * b, &x), a * b);
        assert_eq!(eval(|(a, b)| a / b, &x), a / b);
        assert_eq!(grad(|(a, b)| a + b, &x), (1.0, 1.0));
        assert_eq!(grad(|(a, b)| a - b, &x), (1.0, -1.0));
        assert_eq!(grad(|(a, b)| a * b, &x), (b, a));
        assert_grad!(|(a, b)| a / b, &x);
        assert_grad!(|(a, b)| a * b - a / b + (a + b) * a, &x);
    }
}

#[test]
fn arithmetic_with_constants_on_either_side() {
    for x in [-3.0_f64, 0.5, 12.0] {
        assert_eq!(value_and_grad(|x| x + 2.0, &x), (x + 2.0, 1.0));
        assert_eq!(value_and_grad(|x| 2.0 + x, &x), (2.0 + x, 1.0));
        assert_eq!(value_and_grad(|x| x - 2.0, &x), (x - 2.0, 1.0));
        assert_eq!(value_and_grad(|x| 2.0 - x, &x), (2.0 - x, -1.0));
        assert_eq!(value_and_grad(|x| x * 3.0, &x), (x * 3.0, 3.0));
        assert_eq!(value_and_grad(|x| 3.0 * x, &x), (3.0 * x, 3.0));
        assert_eq!(value_and_grad(|x| x / 4.0, &x), (x / 4.0, 0.25));
        let (y, g) = value_and_grad(|x| 4.0 / x, &x);
        assert!(close(y, 4.0 / x, 1e-15) && close(g, -4.0 / (x * x), 1e-15));
        assert_grad!(|x| 1.5 - x * 2.0 / (3.0 + x * x), &x);
    }
}

#[test]
fn powf_with_a_differentiable_exponent() {
    for (a, b) in [(0.5, 2.0), (3.0, -1.5), (1.0, 0.3), (20.0, 0.5)] {
        let (y, (da, db)) = value_and_grad(|(a, b)| a.powf(b), &(a, b));
        assert!(close(y, f64::powf(a, b), 1e-15));
        assert!(close(da, b * f64::powf(a, b - 1.0), 1e-14));
        assert!(close(db, f64::powf(a, b) * f64::ln(a), 1e-14));
        assert_grad!(|(a, b)| a.powf(b), &(a, b));
    }
    // 0^b: the exponent's gradient y ln a is taken as 0 where y = 0.
    assert_eq!(grad(|(a, b)| a.powf(b), &(0.0_f64, 2.0_f64)), (0.0, 0.0));
}

#[test]
fn f32_works_like_f64() {
    let (y, g) = value_and_grad(|x| x.sin() * x + x.exp(), &0.5_f32);
    let x = 0.5_f32;
    assert!((y - (x.sin() * x + x.exp())).abs() < 1e-6);
    assert!((g - (x.sin() + x * x.cos() + x.exp())).abs() < 1e-6);
    let v = Vector::<f32, U3>::from([0.5, -1.0, 2.0]);
    let m = Matrix::<f32, U2, U3>::from([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]);
    let report = check_grad(
        |(v, m)| m.matvec(v).logistic().sum() * v.norm(),
        &(v, m),
        1e-2,
    );
    assert!(report.passed(1e-3), "{report}");
    let t = Vector::<f32, U2>::from([0.2, 0.8]);
    let z = Vector::<f32, U2>::from([1.0, -3.0]);
    let report = check_grad(|z| softmax_cross_entropy(z, constant(&t)), &z, 1e-2);
    assert!(report.passed(1e-3), "{report}");
}

#[test]
fn every_elementwise_function_in_f32() {
    // f32 central differences are only good to ~1e-3: this checks the ops are generic and right,
    // the f64 tests above check them precisely.
    let v = Vector::<f32, U4>::from([0.3, 0.9, 1.7, 2.4]);
    let n = Vector::<f32, U4>::from([-1.3, -0.4, 0.5, 1.2]);
    macro_rules! check32 {
        ($x:expr, $($f:tt)+) => {{
            let report = check_grad($($f)+, $x, 1e-2);
            assert!(report.passed(2e-3), "{}: {report}", stringify!($($f)+));
        }};
    }
    check32!(&n, |x| x.exp().sum());
    check32!(&v, |x| x.ln().sum());
    check32!(&n, |x| x.sin().sum());
    check32!(&n, |x| x.cos().sum());
    let small = Vector::<f32, U4>::from([-0.8, -0.3, 0.2, 0.7]);
    check32!(&small, |x| x.tan().sum());
    check32!(&n, |x| x.tanh().sum());
    check32!(&v, |x| x.sqrt().sum());
    check32!(&n, |x| x.abs().sum());
    check32!(&n, |x| x.recip().sum());
    check32!(&n, |x| x.logistic().sum());
    check32!(&n, |x| x.relu().sum());
    check32!(&n, |x| x.softplus().sum());
    check32!(&n, |x| (-x).powi(3).sum());
    check32!(&v, |x| x.powf(1.5).sum());
    check32!(&(v.clone(), n.clone()), |(a, b)| (a * b
        - a / (b * b + 1.0)
        + 2.0 * a)
        .dot(b));
    check32!(&n, |x| x.softmax().dot(x)
        + x.log_softmax().sum()
        + x.logsumexp()
        + x.norm()
        + x.mean());
}
