//! The x86-64 variants of the kernels.
//!
//! Elementwise kernels (`axpy`, `rank1`, `matvec_t`, ...) are their generic `body` loops compiled
//! with more target features: LLVM's loop vectoriser fills the wide registers by itself.
//! Reductions (`dot`, `sum`, and `matvec`, a dot per row) are written with intrinsics for `f32`
//! and `f64`: the vectoriser will not reassociate a floating-point sum, and its SLP pass turned
//! generic partial sums into 128-bit operations (seen in the assembly; a 100x300 `matvec` took
//! 4.8-5.6 us that way against 5.8 us portable, and 3.2-3.9 us with these intrinsics).

/// Declares, in a module compiled with `$features`, one function per elementwise kernel that
/// calls its generic body (inlined, hence compiled with those features) with fused
/// multiply-adds.
macro_rules! elementwise {
    ($module:ident, $features:literal) => {
        pub(super) mod $module {
            use super::super::body;
            use crate::Scalar;
            elementwise!(@fns $features;
                matvec_t(w: &[T], cols: usize, d: &[T], out: &mut [T], add: bool) -> ();
                rank1(m: &mut [T], a: &[T], b: &[T], add: bool) -> ();
                axpy(y: &mut [T], alpha: T, x: &[T]) -> ();
                add_assign(y: &mut [T], x: &[T]) -> ();
            );
        }
    };
    (@fns $features:literal; $($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        /// # Safety
        /// The CPU must support the module's target features.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn $name<T: Scalar>($($arg: $ty),*) -> $ret {
            body::$name::<T, true>($($arg),*)
        }
    )*};
}
elementwise!(avx2, "avx2,fma");
elementwise!(avx512, "avx512f,avx2,fma");

/// Declares the reductions for one scalar type and one register type: `$lanes` scalars in a
/// `$reg`, with the intrinsics that zero, load, fuse-multiply-add and add it, and the function
/// that sums its lanes.
macro_rules! reductions {
    ($module:ident, $features:literal, $t:ty, $reg:ty, $lanes:literal,
     $zero:ident, $load:ident, $fmadd:ident, $add:ident, $hsum:ident) => {
        pub(super) mod $module {
            use core::arch::x86_64::*;

            /// Four registers of partial sums, added into one.
            #[inline(always)]
            fn fold4(acc: [$reg; 4]) -> $reg {
                // SAFETY (of the intrinsics): only reached from the functions below, which are
                // compiled with the features these instructions need.
                unsafe { $add($add(acc[0], acc[1]), $add(acc[2], acc[3])) }
            }

            /// The sum of one register's lanes (a tree of shuffles and adds).
            #[inline(always)]
            fn lanes_sum(v: $reg) -> $t {
                // SAFETY: only reached from the functions below, compiled with the features
                // this reduction needs.
                unsafe { super::$hsum(v) }
            }

            /// `a . b` over `min(a.len(), b.len())` elements.
            ///
            /// # Safety
            /// The CPU must support the module's target features.
            #[target_feature(enable = $features)]
            pub(crate) unsafe fn dot(a: &[$t], b: &[$t]) -> $t {
                let n = a.len().min(b.len());
                let (pa, pb) = (a.as_ptr(), b.as_ptr());
                let mut acc = [$zero(); 4];
                let mut i = 0;
                while i + 4 * $lanes <= n {
                    for (k, acc) in acc.iter_mut().enumerate() {
                        // SAFETY: `i + (k + 1) * lanes <= n`, so both loads are in bounds.
                        unsafe {
                            let o = i + k * $lanes;
                            *acc = $fmadd($load(pa.add(o)), $load(pb.add(o)), *acc);
                        }
                    }
                    i += 4 * $lanes;
                }
                while i + $lanes <= n {
                    // SAFETY: `i + lanes <= n`.
                    unsafe { acc[0] = $fmadd($load(pa.add(i)), $load(pb.add(i)), acc[0]) };
                    i += $lanes;
                }
                let mut s = lanes_sum(fold4(acc));
                for (&x, &y) in a[i..n].iter().zip(&b[i..n]) {
                    s = x.mul_add(y, s);
                }
                s
            }

            /// The sum of the elements.
            ///
            /// # Safety
            /// The CPU must support the module's target features.
            #[target_feature(enable = $features)]
            pub(crate) unsafe fn sum(a: &[$t]) -> $t {
                let (n, pa) = (a.len(), a.as_ptr());
                let mut acc = [$zero(); 4];
                let mut i = 0;
                while i + 4 * $lanes <= n {
                    for (k, acc) in acc.iter_mut().enumerate() {
                        // SAFETY: `i + (k + 1) * lanes <= n`.
                        unsafe { *acc = $add($load(pa.add(i + k * $lanes)), *acc) };
                    }
                    i += 4 * $lanes;
                }
                let mut s = lanes_sum(fold4(acc));
                for &x in &a[i..] {
                    s += x;
                }
                s
            }

            /// `out = w v` for `w` row-major with `cols` columns (`out.len()` rows).
            ///
            /// # Safety
            /// The CPU must support the module's target features.
            #[target_feature(enable = $features)]
            pub(crate) unsafe fn matvec(w: &[$t], cols: usize, v: &[$t], out: &mut [$t]) {
                if cols == 0 {
                    out.iter_mut().for_each(|o| *o = 0.0);
                    return;
                }
                for (o, row) in out.iter_mut().zip(w.chunks_exact(cols)) {
                    // SAFETY: the same target features as this function's.
                    *o = unsafe { dot(row, v) };
                }
            }
        }
    };
}
reductions!(
    avx2_f64,
    "avx2,fma",
    f64,
    __m256d,
    4,
    _mm256_setzero_pd,
    _mm256_loadu_pd,
    _mm256_fmadd_pd,
    _mm256_add_pd,
    hsum_f64x4
);
reductions!(
    avx2_f32,
    "avx2,fma",
    f32,
    __m256,
    8,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    hsum_f32x8
);
reductions!(
    avx512_f64,
    "avx512f,avx2,fma",
    f64,
    __m512d,
    8,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd,
    hsum_f64x8
);
reductions!(
    avx512_f32,
    "avx512f,avx2,fma",
    f32,
    __m512,
    16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
    hsum_f32x16
);

use core::arch::x86_64::*;

/// Sum of the four lanes.
#[target_feature(enable = "avx2")]
#[inline]
fn hsum_f64x4(v: __m256d) -> f64 {
    let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
}

/// Sum of the eight lanes.
#[target_feature(enable = "avx2")]
#[inline]
fn hsum_f32x8(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)))
}

/// Sum of the eight lanes.
#[target_feature(enable = "avx512f")]
#[inline]
fn hsum_f64x8(v: __m512d) -> f64 {
    _mm512_reduce_add_pd(v)
}

/// Sum of the sixteen lanes.
#[target_feature(enable = "avx512f")]
#[inline]
fn hsum_f32x16(v: __m512) -> f32 {
    _mm512_reduce_add_ps(v)
}
