//! Static tensors: construction (including runtime-sized data that does not fit), indexing,
//! formatting, comparison, and large shapes in a debug-build test thread.

use backprop::prelude::*;
use backprop::{Dim, ShapeError};

#[test]
fn built_from_arrays_functions_and_runtime_data() {
    let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
    assert_eq!(v, Vector::from_fn(|i| (i + 1) as f64));
    assert_eq!(v, Vector::try_from_slice(&[1.0, 2.0, 3.0]).unwrap());
    assert_eq!(v, Vector::try_from_vec(vec![1.0, 2.0, 3.0]).unwrap());
    assert_eq!(v, Vector::try_from_iter([1.0, 2.0, 3.0]).unwrap());
    let m: Matrix<f64, U2, U3> = Matrix::from([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]);
    assert_eq!(
        m,
        Matrix::try_from_slice(&[1.0, 0.0, 2.0, 0.5, 1.0, 0.0]).unwrap()
    );
    assert_eq!(
        m,
        Matrix::try_from_rows(&[[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]).unwrap()
    );
    assert_eq!(
        m,
        Matrix::from_fn(|r, c| [[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]][r][c])
    );
    assert_eq!(
        (m[(1, 0)], m.get(1, 2), m.get(2, 0)),
        (0.5, Some(0.0), None)
    );
}

#[test]
fn wrong_runtime_lengths_are_errors_naming_expected_and_actual() {
    let e = Vector::<f64, U3>::try_from_slice(&[1.0; 5]).unwrap_err();
    assert_eq!(
        e,
        ShapeError {
            shape: "Vector<_, 3>".into(),
            expected: 3,
            actual: 5,
            what: "elements".into()
        }
    );
    assert_eq!(e.to_string(), "Vector<_, 3>: expected 3 elements, got 5");
    let e = Vector::<f64, U3>::try_from_iter(std::iter::empty()).unwrap_err();
    assert_eq!((e.expected, e.actual), (3, 0));
    let e = Matrix::<f64, U2, U3>::try_from_vec(vec![0.0; 7]).unwrap_err();
    assert_eq!(e.to_string(), "Matrix<_, 2, 3>: expected 6 elements, got 7");
    let e = Matrix::<f64, U2, U3>::try_from_rows(&[vec![0.0; 3]]).unwrap_err();
    assert_eq!(e.to_string(), "Matrix<_, 2, 3>: expected 2 rows, got 1");
    let e = Matrix::<f64, U2, U3>::try_from_rows(&[vec![0.0; 3], vec![0.0; 4]]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Matrix<_, 2, 3>: expected 3 columns in row 1, got 4"
    );
    // The error is a std error, usable with `?`.
    fn load() -> Result<Vector<f64, U2>, Box<dyn std::error::Error>> {
        Ok(Vector::try_from_slice(&[1.0])?)
    }
    assert!(load().is_err());
}

#[test]
fn formatting_and_comparison() {
    let v = Vector::<f64, U3>::from([1.0, 2.5, -3.0]);
    assert_eq!(format!("{v}"), "[1, 2.5, -3]");
    assert_eq!(format!("{v:?}"), "Vector<3>[1.0, 2.5, -3.0]");
    let m = Matrix::<f64, U2, U2>::from([[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(format!("{m}"), "[[1, 2], [3, 4]]");
    assert_eq!(format!("{m:?}"), "Matrix<2, 2>[[1.0, 2.0], [3.0, 4.0]]");
    assert_eq!(format!("{:.1}", Vector::<f64, U1>::from([0.25])), "[0.2]");
    assert_ne!(v, Vector::from([1.0, 2.5, 3.0]));
    assert!(v.approx_eq(&Vector::from([1.0 + 1e-13, 2.5, -3.0]), 1e-12));
    assert!(!v.approx_eq(&Vector::from([1.0 + 1e-9, 2.5, -3.0]), 1e-12));
    let cloned = m.clone();
    assert_eq!(cloned, m);
}

#[test]
fn iteration_and_mutation() {
    let mut v = Vector::<f64, U4>::from([1.0, 2.0, 3.0, 4.0]);
    assert_eq!(v.iter().sum::<f64>(), 10.0);
    assert_eq!((&v).into_iter().count(), 4);
    v[0] = 10.0;
    v.iter_mut().for_each(|x| *x *= 2.0);
    assert_eq!(v.as_slice(), &[20.0, 4.0, 6.0, 8.0]);
    let mut m = Matrix::<f64, U2, U2>::zeros();
    m[(1, 1)] = 5.0;
    assert_eq!(m.row(1), &[0.0, 5.0]);
    assert_eq!(m.transpose().transpose(), m);
}

#[test]
#[should_panic(expected = "column 2 out of bounds")]
fn a_column_index_out_of_bounds_panics_like_a_slice_index() {
    let m = Matrix::<f64, U2, U2>::zeros();
    let _ = m[(0, 2)];
}

#[test]
fn a_300x784_matrix_works_in_a_debug_test_thread() {
    // 1.9 MB of f64: built, cloned and differentiated without touching the 2 MiB test stack.
    let w = Matrix::<f64, U300, U784>::from_fn(|r, c| ((r * 7 + c * 3) % 11) as f64 * 0.01);
    let x = Vector::<f64, U784>::filled(0.5);
    let params = (w.clone(), Vector::<f64, U300>::zeros());
    let (y, (gw, gb)) = value_and_grad(
        |(w, b)| (w.matvec(constant(&x)) + b).logistic().sum(),
        &params,
    );
    assert!(y.is_finite());
    // dy/db_r = s'(z_r), dy/dW_rc = s'(z_r) x_c = 0.5 dy/db_r
    assert!((gw[(3, 5)] - 0.5 * gb[3]).abs() < 1e-15);
    assert_eq!(w, params.0);
}

#[test]
fn small_tensors_are_inline_and_large_ones_are_not_on_the_stack() {
    use std::mem::size_of;
    // Exactly the elements up to the inline capacity; a boxed slice above it.
    assert_eq!(size_of::<Vector<f64, U2>>(), 16);
    assert_eq!(size_of::<Matrix<f64, U2, U8>>(), 8 * backprop::INLINE_LEN);
    assert_eq!(size_of::<Vector<f64, U784>>(), size_of::<Box<[f64]>>());
    assert_eq!(
        size_of::<Matrix<f64, U300, U784>>(),
        size_of::<Box<[f64]>>()
    );
    // Every shape class holds what it was built with.
    fn check<R: Dim, C: Dim>() {
        let m = Matrix::<f64, R, C>::from_fn(|r, c| (r * 100 + c) as f64);
        assert_eq!(m.as_slice().len(), R::USIZE * C::USIZE);
        let n = m.clone();
        for r in 0..R::USIZE {
            for c in 0..C::USIZE {
                assert_eq!(n[(r, c)], (r * 100 + c) as f64);
            }
        }
        let v = Vector::<f64, R>::from_fn(|i| i as f64);
        assert_eq!(
            v.clone().as_slice(),
            (0..R::USIZE).map(|i| i as f64).collect::<Vec<_>>()
        );
    }
    check::<U0, U5>();
    check::<U5, U0>();
    check::<U17, U0>();
    check::<U1, U16>();
    check::<U16, U1>();
    check::<U4, U4>();
    check::<U4, U5>();
    check::<U16, U16>();
    check::<U3, U17>();
    check::<U17, U3>();
    check::<typenum::U2, typenum::U3>();
}
