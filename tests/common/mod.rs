//! Helpers shared by the integration tests.
#![allow(dead_code)]

use backprop::prelude::*;
use backprop::Dim;

/// Deterministic values in `[lo, hi)`, different for each `seed`.
pub fn values(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            lo + (hi - lo) * u
        })
        .collect()
}

pub fn vector<N: Dim>(seed: u64, lo: f64, hi: f64) -> Vector<f64, N> {
    Vector::try_from_vec(values(seed, N::USIZE, lo, hi)).unwrap()
}

pub fn matrix<R: Dim, C: Dim>(seed: u64, lo: f64, hi: f64) -> Matrix<f64, R, C> {
    Matrix::try_from_vec(values(seed, R::USIZE * C::USIZE, lo, hi)).unwrap()
}

/// Asserts the gradient of `$f` at `$x` matches central differences.
#[macro_export]
macro_rules! assert_grad {
    ($f:expr, $x:expr) => {
        assert_grad!($f, $x, 1e-6)
    };
    ($f:expr, $x:expr, $tol:expr) => {{
        let report = backprop::check_grad($f, $x, 1e-5);
        assert!(report.passed($tol), "at {:?}: {}", $x, report);
    }};
}

pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}
