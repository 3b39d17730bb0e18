//! The `nalgebra` and `ndarray` features: conversions both ways (values, layouts, sizes that do
//! not fit), and nalgebra's static matrices as `Backprop` values (inputs, record fields,
//! operands of lifted operations), checked against central differences.
#![cfg(any(feature = "nalgebra", feature = "ndarray"))]

use backprop::prelude::*;

#[cfg(feature = "nalgebra")]
mod nalgebra_feature {
    use super::*;
    use nalgebra::{SMatrix, SVector};

    #[test]
    fn vectors_round_trip_element_by_element() {
        let v = SVector::<f64, 5>::from_fn(|i, _| i as f64 * 1.5 - 2.0);
        let ours: Vector<f64, U5> = v.into();
        for i in 0..5 {
            assert_eq!(ours[i], i as f64 * 1.5 - 2.0);
        }
        assert_eq!(SVector::<f64, 5>::from(ours), v);
        // Sizes above the inline limit convert too, up to typenum's const-generic mapping's 1024.
        let big = SVector::<f32, 784>::from_fn(|i, _| i as f32);
        let ours: Vector<f32, U784> = big.into();
        assert_eq!(ours[783], 783.0);
        let top = SVector::<f32, 1024>::from_fn(|i, _| i as f32);
        let ours: Vector<f32, U1024> = top.into();
        assert_eq!(ours[1023], 1023.0);
    }

    #[test]
    fn matrices_keep_rows_and_columns_despite_nalgebra_column_major_storage() {
        let m = SMatrix::<f64, 2, 3>::from_fn(|r, c| (10 * r + c) as f64);
        // nalgebra's buffer is column-major: 0, 10, 1, 11, 2, 12.
        assert_eq!(m.as_slice(), &[0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
        let ours: Matrix<f64, U2, U3> = m.into();
        assert_eq!(ours.as_slice(), &[0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
        assert_eq!(SMatrix::<f64, 2, 3>::from(ours), m);
    }

    /// A record with a nalgebra field: derive, gradient through a lifted nalgebra op, checked
    /// against central differences.
    #[derive(Clone, Debug, PartialEq, Backprop)]
    struct Params {
        w: SMatrix<f64, 2, 3>,
        b: f64,
    }

    #[test]
    fn a_record_with_a_nalgebra_field_gets_a_gradient_of_its_own_type() {
        let x = SVector::<f64, 3>::new(0.5, -1.0, 2.0);
        let f = |p: Placeholders<Params>| {
            // y = W x through nalgebra's own product, with dW = dy xᵀ written by hand.
            let y = op(p.w, move |w: &SMatrix<f64, 2, 3>| {
                (
                    w * x,
                    move |dy: &SVector<f64, 2>, _: &SMatrix<f64, 2, 3>| dy * x.transpose(),
                )
            });
            let total = op(y, |y: &SVector<f64, 2>| {
                (y.map(f64::tanh).sum(), |d: &f64, y: &SVector<f64, 2>| {
                    y.map(|v| d * (1.0 - v.tanh().powi(2)))
                })
            });
            total * p.b + p.b * p.b
        };
        for (w, b) in [
            (
                SMatrix::<f64, 2, 3>::from_fn(|r, c| 0.1 * (r + 2 * c) as f64 - 0.2),
                1.5,
            ),
            (
                SMatrix::<f64, 2, 3>::from_fn(|r, c| if (r + c) % 2 == 0 { 3.0 } else { -4.0 }),
                -0.25,
            ),
        ] {
            let p = Params { w, b };
            let report = check_grad(f, &p, 1e-6);
            assert!(report.passed(1e-7), "{report}");
            // Closed form: d/db = sum tanh(Wx) + 2b.
            let g = grad(f, &p);
            let expect_b = (w * x).map(f64::tanh).sum() + 2.0 * b;
            assert!((g.b - expect_b).abs() < 1e-12);
        }
    }

    #[test]
    fn nalgebra_matrices_take_gradient_steps_in_place() {
        let mut p = SMatrix::<f64, 2, 2>::new(1.0, 2.0, 3.0, 4.0);
        p.axpy(0.5, &SMatrix::<f64, 2, 2>::repeat(2.0)).unwrap();
        assert_eq!(p, SMatrix::<f64, 2, 2>::new(2.0, 3.0, 4.0, 5.0));
    }
}

#[cfg(feature = "ndarray")]
mod ndarray_feature {
    use super::*;
    use ndarray::{array, s, Array1, Array2, ArrayView1, ArrayView2};

    #[test]
    fn views_of_any_layout_convert_in_logical_order() {
        let a = Array2::from_shape_fn((4, 6), |(r, c)| (10 * r + c) as f64);
        // Every other column of rows 1..3: a strided, non-contiguous view.
        let strided = a.slice(s![1..3, ..;2]);
        let m = Matrix::<f64, U2, U3>::try_from(strided).unwrap();
        assert_eq!(m, Matrix::from([[10.0, 12.0, 14.0], [20.0, 22.0, 24.0]]));
        let col = Vector::<f64, U4>::try_from(a.column(5)).unwrap();
        assert_eq!(col, Vector::from([5.0, 15.0, 25.0, 35.0]));
    }

    #[test]
    fn sizes_that_do_not_fit_are_shape_errors_naming_both_sizes() {
        let a = Array2::<f32>::zeros((3, 4));
        let e = Matrix::<f32, U4, U4>::try_from(a.view()).unwrap_err();
        assert_eq!((e.expected, e.actual, e.what.as_str()), (4, 3, "rows"));
        let e = Matrix::<f32, U3, U5>::try_from(a.view()).unwrap_err();
        assert_eq!((e.expected, e.actual, e.what.as_str()), (5, 4, "columns"));
        let e = Vector::<f32, U3>::try_from(ArrayView1::from(&[1.0_f32; 0][..])).unwrap_err();
        assert_eq!(e.to_string(), "Vector<_, 3>: expected 3 elements, got 0");
    }

    #[test]
    fn tensors_convert_back_as_owned_arrays_and_borrowed_views() {
        let m = Matrix::<f64, U2, U3>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let view = ArrayView2::from(&m);
        assert_eq!(view.dim(), (2, 3));
        assert_eq!(view.as_ptr(), m.as_slice().as_ptr());
        assert_eq!(
            Array2::from(m.clone()),
            array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
        );
        // Round trip through ndarray is the identity, large sizes included.
        let big = Matrix::<f32, U100, U784>::from_fn(|r, c| (r * 784 + c) as f32);
        let back = Matrix::<f32, U100, U784>::try_from(Array2::from(big.clone()).view()).unwrap();
        assert_eq!(back, big);
        let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
        assert_eq!(Array1::from(v), array![1.0, 2.0, 3.0]);
    }
}
