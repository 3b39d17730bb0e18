//! Arithmetic on plain tensors (outside expressions): `a + b`, `a - b`, `-a`, `a * s`, `s * a`,
//! `a / s`, and the assigning forms, elementwise. What a hand-written update step
//! (`w - 0.1 * g`) needs; `#[derive(Backprop)]` gives records the same operators field by field.
//!
//! ```
//! use backprop::prelude::*;
//! let w = Vector::<f64, U2>::from([1.0, 2.0]);
//! let g = Vector::<f64, U2>::from([10.0, -10.0]);
//! assert_eq!(w.clone() - 0.1 * g.clone(), Vector::from([0.0, 3.0]));
//! let mut m = Matrix::<f32, U1, U2>::from([[1.0, 2.0]]);
//! m += &Matrix::filled(1.0);
//! m *= 2.0;
//! assert_eq!(-m, Matrix::from([[-4.0, -6.0]]));
//! ```

use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::{Dim, Matrix, Scalar, Vector};

macro_rules! tensor_arith {
    ($ty:ident<$($d:ident),+>) => {
        impl<T: Scalar, $($d: Dim),+> AddAssign<&$ty<T, $($d),+>> for $ty<T, $($d),+> {
            #[inline]
            fn add_assign(&mut self, rhs: &Self) {
                crate::kernels::add_assign(self.as_mut_slice(), rhs.as_slice());
            }
        }
        impl<T: Scalar, $($d: Dim),+> SubAssign<&$ty<T, $($d),+>> for $ty<T, $($d),+> {
            #[inline]
            fn sub_assign(&mut self, rhs: &Self) {
                crate::kernels::axpy(self.as_mut_slice(), -T::one(), rhs.as_slice());
            }
        }
        impl<T: Scalar, $($d: Dim),+> AddAssign for $ty<T, $($d),+> {
            #[inline]
            fn add_assign(&mut self, rhs: Self) {
                *self += &rhs;
            }
        }
        impl<T: Scalar, $($d: Dim),+> SubAssign for $ty<T, $($d),+> {
            #[inline]
            fn sub_assign(&mut self, rhs: Self) {
                *self -= &rhs;
            }
        }
        impl<T: Scalar, $($d: Dim),+> MulAssign<T> for $ty<T, $($d),+> {
            #[inline]
            fn mul_assign(&mut self, s: T) {
                self.as_mut_slice().iter_mut().for_each(|v| *v *= s);
            }
        }
        impl<T: Scalar, $($d: Dim),+> DivAssign<T> for $ty<T, $($d),+> {
            #[inline]
            fn div_assign(&mut self, s: T) {
                self.as_mut_slice().iter_mut().for_each(|v| *v /= s);
            }
        }
        impl<T: Scalar, $($d: Dim),+> Add for $ty<T, $($d),+> {
            type Output = Self;
            #[inline]
            fn add(mut self, rhs: Self) -> Self {
                self += &rhs;
                self
            }
        }
        impl<T: Scalar, $($d: Dim),+> Sub for $ty<T, $($d),+> {
            type Output = Self;
            #[inline]
            fn sub(mut self, rhs: Self) -> Self {
                self -= &rhs;
                self
            }
        }
        impl<T: Scalar, $($d: Dim),+> Add for &$ty<T, $($d),+> {
            type Output = $ty<T, $($d),+>;
            #[inline]
            fn add(self, rhs: Self) -> $ty<T, $($d),+> {
                let mut out = self.clone();
                out += rhs;
                out
            }
        }
        impl<T: Scalar, $($d: Dim),+> Sub for &$ty<T, $($d),+> {
            type Output = $ty<T, $($d),+>;
            #[inline]
            fn sub(self, rhs: Self) -> $ty<T, $($d),+> {
                let mut out = self.clone();
                out -= rhs;
                out
            }
        }
        impl<T: Scalar, $($d: Dim),+> Neg for $ty<T, $($d),+> {
            type Output = Self;
            #[inline]
            fn neg(mut self) -> Self {
                self.as_mut_slice().iter_mut().for_each(|v| *v = -*v);
                self
            }
        }
        impl<T: Scalar, $($d: Dim),+> Mul<T> for $ty<T, $($d),+> {
            type Output = Self;
            #[inline]
            fn mul(mut self, s: T) -> Self {
                self *= s;
                self
            }
        }
        impl<T: Scalar, $($d: Dim),+> Div<T> for $ty<T, $($d),+> {
            type Output = Self;
            #[inline]
            fn div(mut self, s: T) -> Self {
                self /= s;
                self
            }
        }
        tensor_arith!(@left $ty<$($d),+> f32);
        tensor_arith!(@left $ty<$($d),+> f64);
    };
    (@left $ty:ident<$($d:ident),+> $t:ty) => {
        /// A number on the left: `0.1 * g`.
        impl<$($d: Dim),+> Mul<$ty<$t, $($d),+>> for $t {
            type Output = $ty<$t, $($d),+>;
            #[inline]
            fn mul(self, a: $ty<$t, $($d),+>) -> $ty<$t, $($d),+> {
                a * self
            }
        }
    };
}
tensor_arith!(Vector<N>);
tensor_arith!(Matrix<R, C>);
