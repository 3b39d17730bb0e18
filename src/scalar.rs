//! The scalar types every tensor and operation is generic over.

use core::fmt::{Debug, Display};
use core::iter::Sum;
use core::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point number the crate can differentiate through: `f32` and `f64` today.
///
/// Every operation is written against this trait, never against `f64`, so that another
/// scalar (for example a dual number for forward-over-reverse Hessian-vector products) can
/// implement it later. Matrix-matrix products dispatch through [`Scalar::gemm`], which `f32`
/// and `f64` route to `matrixmultiply` and other scalars get as a plain triple loop.
///
/// ```
/// use backprop::Scalar;
/// fn half<T: Scalar>(x: T) -> T { x * T::from_f64(0.5) }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(half(3.0_f64), 1.5);
/// ```
pub trait Scalar:
    num_traits::Float
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// Converts an `f64` constant (rounding for `f32`).
    fn from_f64(x: f64) -> Self;

    /// Converts to `f64`, for error reports and finite-difference checks.
    fn to_f64(self) -> f64;

    /// `c = alpha * a * b + beta * c` for row/column-strided `m x k` and `k x n` matrices.
    ///
    /// # Safety
    /// The pointers and strides must describe valid, in-bounds matrices, and `c` must not alias
    /// `a` or `b` (the contract of `matrixmultiply::dgemm`).
    #[allow(clippy::too_many_arguments)]
    #[doc(hidden)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller guarantees every offset below is in bounds.
        unsafe {
            for i in 0..m {
                for j in 0..n {
                    let mut acc = Self::zero();
                    for p in 0..k {
                        acc += *a.offset(i as isize * rsa + p as isize * csa)
                            * *b.offset(p as isize * rsb + j as isize * csb);
                    }
                    let out = c.offset(i as isize * rsc + j as isize * csc);
                    *out = if beta == Self::zero() {
                        alpha * acc
                    } else {
                        alpha * acc + beta * *out
                    };
                }
            }
        }
    }
}

macro_rules! impl_scalar {
    ($t:ty, $gemm:path) => {
        impl Scalar for $t {
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded caller contract.
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }
        }
    };
}
impl_scalar!(f32, matrixmultiply::sgemm);
impl_scalar!(f64, matrixmultiply::dgemm);
