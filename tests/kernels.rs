//! Every instruction-set variant of the slice kernels gives the portable kernel's results (up to
//! rounding: fused multiply-adds and another order of partial sums), at sizes around every
//! register and unroll boundary, for `f32` and `f64`; and the portable kernels give closed-form
//! values.

use backprop::kernels::{self, Simd};

/// Sizes around the boundaries of 1, 4, 8, 16 and 64 lanes, and a few odd ones.
const SIZES: [usize; 16] = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 130];

/// Deterministic values in [-1, 1] with no pattern a wrong index could hide behind.
fn values(seed: usize, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (((i + 1) * 7919 + seed * 104_729) % 2003) as f64 / 1001.0 - 1.0)
        .collect()
}

/// `|a - b| <= tol * (1 + scale)`, elementwise, where `scale` bounds the sum of magnitudes
/// that went into each element (the rounding of a reordered sum is proportional to it).
fn close(a: &[f64], b: &[f64], scale: f64, tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + scale))
}

/// Runs `f` under every available level and returns the results, portable first.
fn on_every_level<R>(mut f: impl FnMut() -> R) -> Vec<(Simd, R)> {
    Simd::available()
        .into_iter()
        .map(|s| (s, s.run(&mut f).expect("an available level runs")))
        .collect()
}

/// Checks all kernels at one scalar type, given as conversions from and to f64.
macro_rules! check_type {
    ($t:ty, $tol:expr) => {{
        let to = |v: Vec<f64>| v.into_iter().map(|x| x as $t).collect::<Vec<$t>>();
        let back = |v: &[$t]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
        for &rows in &[0usize, 1, 3, 4, 5, 9, 17] {
            for &cols in &SIZES {
                let w = to(values(1, rows * cols));
                let v = to(values(2, cols));
                let d = to(values(3, rows));
                let scale = cols.max(rows) as f64;
                let results = on_every_level(|| {
                    let mut mv = vec![0.0 as $t; rows];
                    kernels::matvec(&w, rows, cols, &v, &mut mv);
                    let mut mt = vec![0.5 as $t; cols];
                    kernels::matvec_t_acc(&w, rows, cols, &d, &mut mt);
                    let mut mtw = vec![<$t>::NAN; cols];
                    kernels::matvec_t(&w, rows, cols, &d, &mut mtw);
                    let mut r1 = to(values(4, rows * cols));
                    kernels::rank1_acc(&mut r1, &d, &v);
                    let mut outer = vec![<$t>::NAN; rows * cols];
                    kernels::outer(&mut outer, &d, &v);
                    let mut ax = to(values(5, cols));
                    kernels::axpy(&mut ax, 0.75 as $t, &v);
                    let mut add = to(values(6, cols));
                    kernels::add_assign(&mut add, &v);
                    let dot = kernels::dot(&v, &to(values(7, cols)));
                    let sum = kernels::sum(&w);
                    [
                        back(&mv),
                        back(&mt),
                        back(&mtw),
                        back(&r1),
                        back(&outer),
                        back(&ax),
                        back(&add),
                        vec![dot as f64, sum as f64],
                    ]
                });
                let (_, portable) = &results[0];
                for (level, r) in &results[1..] {
                    for (k, (a, b)) in portable.iter().zip(r).enumerate() {
                        assert!(
                            close(a, b, scale * scale, $tol),
                            "{} {level:?}, kernel #{k}, {rows}x{cols}: {a:?} vs {b:?}",
                            stringify!($t)
                        );
                    }
                }
            }
        }
    }};
}

#[test]
fn every_level_matches_the_portable_kernels_in_f64() {
    check_type!(f64, 1e-14);
}

#[test]
fn every_level_matches_the_portable_kernels_in_f32() {
    check_type!(f32, 1e-5);
}

#[test]
fn the_kernels_give_closed_form_values_on_every_level() {
    // Sums of 1..=n and of squares have closed forms; exact in floating point at these sizes.
    for n in SIZES {
        let a: Vec<f64> = (1..=n).map(|i| i as f64).collect();
        let tri = (n * (n + 1) / 2) as f64;
        let sq = (n * (n + 1) * (2 * n + 1) / 6) as f64;
        for (level, (s, d)) in on_every_level(|| (kernels::sum(&a), kernels::dot(&a, &a))) {
            assert_eq!((s, d), (tri, sq), "{level:?}, n = {n}");
        }
        // A matrix whose row r is all (r + 1): W v = (r + 1) sum(v); W^T 1 = rows (rows + 1) / 2.
        let rows = 5;
        let w: Vec<f64> = (0..rows * n).map(|i| (i / n.max(1) + 1) as f64).collect();
        for (level, (mv, mt)) in on_every_level(|| {
            let mut mv = vec![0.0; rows];
            kernels::matvec(&w, rows, n, &a, &mut mv);
            let mut mt = vec![f64::NAN; n];
            kernels::matvec_t(&w, rows, n, &[1.0; 5], &mut mt);
            (mv, mt)
        }) {
            let want: Vec<f64> = (1..=rows).map(|r| r as f64 * tri).collect();
            assert_eq!(mv, want, "{level:?}, n = {n}");
            assert_eq!(mt, vec![15.0; n], "{level:?}, n = {n}");
        }
    }
}

#[test]
fn write_forms_never_read_what_they_overwrite() {
    // NaN in the output would survive any read-modify-write.
    for (level, (mt, outer)) in on_every_level(|| {
        let mut mt = [f64::NAN; 3];
        kernels::matvec_t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3, &[1.0, -1.0], &mut mt);
        let mut outer = [f64::NAN; 6];
        kernels::outer(&mut outer, &[1.0, 2.0], &[3.0, 4.0, 5.0]);
        (mt, outer)
    }) {
        assert_eq!(mt, [-3.0, -3.0, -3.0], "{level:?}");
        assert_eq!(outer, [3.0, 4.0, 5.0, 6.0, 8.0, 10.0], "{level:?}");
    }
    // No rows: `matvec_t` writes zeros.
    let mut mt = [f64::NAN; 2];
    kernels::matvec_t(&[], 0, 2, &[], &mut mt);
    assert_eq!(mt, [0.0, 0.0]);
}

#[test]
fn a_level_the_cpu_lacks_is_refused_and_run_restores_the_level() {
    let before = Simd::active();
    for level in [Simd::Portable, Simd::Avx2Fma, Simd::Avx512] {
        match level.run(Simd::active) {
            Ok(active) => {
                assert!(level.is_supported());
                assert_eq!(active, level);
            }
            Err(e) => {
                assert!(!level.is_supported());
                assert_eq!(e.0, level);
            }
        }
        assert_eq!(Simd::active(), before);
    }
    // Restored after a panic inside, too.
    let r = std::panic::catch_unwind(|| Simd::Portable.run(|| panic!("inside")));
    assert!(r.is_err());
    assert_eq!(Simd::active(), before);
}
