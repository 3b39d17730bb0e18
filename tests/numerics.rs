//! Awkward points with defined results: infinities and zeros in the losses and softmax, NaN
//! in reductions, extreme magnitudes in `norm`, `0^0`, and `powi(i32::MIN)`. Each used to give
//! NaN, a result that depended on where a NaN sat, a lost gradient or an overflow.

#[macro_use]
mod common;

use backprop::prelude::*;

type V2 = Vector<f64, U2>;

#[test]
fn softmax_cross_entropy_with_a_masked_or_huge_logit_and_target_zero_is_finite() {
    let t = V2::from([0.0, 1.0]);
    // The masking trick: a logit of -inf where the target is 0. The loss is exactly 0.
    let (y, g) = value_and_grad(
        |z| softmax_cross_entropy(z, constant(&t)),
        &V2::from([f64::NEG_INFINITY, 0.0]),
    );
    assert_eq!(y, 0.0);
    assert_eq!(g, V2::from([0.0, 0.0]));
    // A huge logit where the target is 0: the loss is its gap, finite.
    let (y, g) = value_and_grad(
        |z| softmax_cross_entropy(z, constant(&t)),
        &V2::from([-1e308, 1e308]),
    );
    assert_eq!(y, 0.0);
    assert_eq!(g, V2::from([0.0, 0.0]));
    // +inf on the wrong class: the target's probability is 0, the loss +inf (not NaN).
    let y = eval(
        |z| softmax_cross_entropy(z, constant(&t)),
        &V2::from([f64::INFINITY, 0.0]),
    );
    assert_eq!(y, f64::INFINITY);
    // +inf on the right class: loss 0.
    let y = eval(
        |z| softmax_cross_entropy(z, constant(&t)),
        &V2::from([0.0, f64::INFINITY]),
    );
    assert_eq!(y, 0.0);
    // The batched form agrees.
    let z = Matrix::<f64, U1, U2>::from([[f64::NEG_INFINITY, 0.0]]);
    let tm = Matrix::<f64, U1, U2>::from([[0.0, 1.0]]);
    assert_eq!(
        eval(|z| softmax_cross_entropy_rows(z, constant(&tm)), &z),
        0.0
    );
    // Ordinary points still match central differences and the closed form.
    let z = V2::from([0.3, -1.2]);
    let closed = -(-1.2 - (0.3_f64.exp() + (-1.2_f64).exp()).ln());
    assert!((eval(|z| softmax_cross_entropy(z, constant(&t)), &z) - closed).abs() < 1e-14);
    assert_grad!(|z| softmax_cross_entropy(z, constant(&t)), &z);
}

#[test]
fn cross_entropy_takes_zero_log_zero_as_zero() {
    let t = V2::from([1.0, 0.0]);
    let z = V2::from([1000.0, 0.0]);
    // softmax([1000, 0]) = [1, 0] exactly: 0 ln 0 used to make the loss NaN.
    let (y, g) = value_and_grad(|z| cross_entropy(z.softmax(), constant(&t)), &z);
    assert_eq!(y, 0.0);
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    let p = V2::from([1.0, 0.0]);
    let (y, g) = value_and_grad(|p| cross_entropy(p, constant(&t)), &p);
    assert_eq!((y, g), (0.0, V2::from([-1.0, 0.0])));
    let p = V2::from([0.25, 0.75]);
    assert_grad!(|p| cross_entropy(p, constant(&t)), &p);
}

#[test]
fn nan_propagates_through_logsumexp_softmax_and_extrema_wherever_it_is() {
    let nan = f64::NAN;
    assert!(eval(|x| x.logsumexp(), &V2::from([nan, nan])).is_nan());
    assert!(eval(|x| x.logsumexp(), &V2::from([1.0, nan])).is_nan());
    assert!(eval(|x| x.softmax(), &V2::from([nan, 1.0]))
        .iter()
        .all(|v| v.is_nan()));
    for xs in [
        vec![nan, 1.0, 3.0],
        vec![1.0, nan, 3.0],
        vec![1.0, 3.0, nan],
    ] {
        let (y, g) = value_and_grad(|xs| xs.maximum(), &xs);
        assert!(y.is_nan(), "maximum of {xs:?} gave {y}");
        let at = xs.iter().position(|v| v.is_nan()).unwrap();
        assert_eq!(g.iter().position(|&v| v == 1.0), Some(at));
        assert!(eval(|xs| xs.minimum(), &xs).is_nan());
    }
    // All -inf: lse is -inf and softmax uniform; one +inf: lse +inf, softmax picks it.
    let ninf = V2::filled(f64::NEG_INFINITY);
    assert_eq!(eval(|x| x.logsumexp(), &ninf), f64::NEG_INFINITY);
    assert_eq!(eval(|x| x.softmax(), &ninf), V2::filled(0.5));
    let pinf = V2::from([f64::INFINITY, 0.0]);
    assert_eq!(eval(|x| x.logsumexp(), &pinf), f64::INFINITY);
    assert_eq!(eval(|x| x.softmax(), &pinf), V2::from([1.0, 0.0]));
}

#[test]
fn norm_neither_overflows_nor_loses_its_gradient_at_extreme_scales() {
    // 1e-310 is subnormal: its inputs themselves carry only about 11 digits.
    for (scale, tol) in [
        (1e200, 1e-14),
        (1e-200, 1e-14),
        (1e-310, 1e-10),
        (1.0, 1e-14),
    ] {
        let v = V2::from([3.0 * scale, 4.0 * scale]);
        let (y, g) = value_and_grad(|v| v.norm(), &v);
        let rel = ((y - 5.0 * scale) / (5.0 * scale)).abs();
        assert!(rel < tol, "norm at scale {scale}: {y}");
        // The gradient is v / |v| = [0.6, 0.8] at every scale.
        assert!(
            g.approx_eq(&V2::from([0.6, 0.8]), tol),
            "gradient at scale {scale}: {g:?}"
        );
    }
    assert_eq!(
        value_and_grad(|v| v.norm(), &V2::zeros()),
        (0.0, V2::zeros())
    );
    assert_eq!(
        eval(|v| v.norm(), &V2::from([f64::INFINITY, 1.0])),
        f64::INFINITY
    );
    assert!(eval(|v| v.norm(), &V2::from([f64::NAN, 1e300])).is_nan());
    assert_grad!(|v| v.norm(), &V2::from([0.3, -2.0]));
}

#[test]
fn powf_at_zero_to_the_zero_has_a_defined_derivative() {
    // x^0 = 1 for every x: d/dx is 0, not 0 * inf = NaN.
    let (y, (da, db)) = value_and_grad(|(a, b)| a.powf(b), &(0.0_f64, 0.0_f64));
    assert_eq!((y, da, db), (1.0, 0.0, 0.0));
    let (_, (da, db)) = value_and_grad(|(a, b)| a.powf(b), &(0.0_f64, 2.0_f64));
    assert_eq!((da, db), (0.0, 0.0));
    assert_eq!(grad(|x| x.powf(0.0), &0.0_f64), 0.0);
    // Away from zero, still the closed form and central differences.
    let (_, (da, db)) = value_and_grad(|(a, b)| a.powf(b), &(2.0_f64, 3.0_f64));
    assert_eq!((da, db), (12.0, 8.0 * 2.0_f64.ln()));
    assert_grad!(|(a, b)| a.powf(b), &(1.3_f64, -0.7_f64));
}

#[test]
fn powi_takes_every_i32_exponent() {
    // n - 1 overflowed for i32::MIN.
    let (y, g) = value_and_grad(|x| x.powi(i32::MIN), &1.0_f64);
    assert_eq!((y, g), (1.0, f64::from(i32::MIN)));
    let (y, g) = value_and_grad(|x| x.powi(i32::MAX), &1.0_f64);
    assert_eq!((y, g), (1.0, f64::from(i32::MAX)));
    assert_eq!(grad(|x| x.powi(i32::MIN), &-1.0_f64), -f64::from(i32::MIN));
    assert_grad!(|x| x.powi(-3), &0.7_f64);
}
