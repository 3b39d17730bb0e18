//! Plain numeric kernels over slices and `usize` sizes, shared by every engine (and by the
//! hand-written reference network in the benchmarks), so that a comparison between engines
//! compares bookkeeping, never arithmetic.
//!
//! Matrices are row-major: element `(r, c)` of an `rows x cols` matrix is `m[r * cols + c]`.
//! Matrix-vector products are our own loops: routing a single sample through `matrixmultiply`
//! was measured 2x slower (it packs the whole matrix on every call). Matrix-matrix products go
//! through [`Scalar::gemm`](crate::Scalar), i.e. `matrixmultiply` for `f32`/`f64`, which
//! dispatches on the CPU's features itself.
//!
//! # Instruction sets
//! Every other kernel here comes in three variants, for the target's baseline, for AVX2 with
//! FMA, and for AVX-512 (see [`Simd`]); the best variant the CPU supports is chosen at run time,
//! on each thread's first call, and [`Simd::run`] can pin a level. The elementwise kernels are
//! one generic loop (`body`) compiled with each level's target features, with fused
//! multiply-adds where the CPU has them; the reductions (`dot`, `sum`, `matvec`) are written
//! with intrinsics for `f32` and `f64` (`x86`). Scalars other than `f32` and `f64` always take
//! the portable loops.
//!
//! Every function here is safe and checks its sizes (with overflow-checked arithmetic), panicking
//! with the sizes it was given, as slice methods do. They are public because they are what a
//! hand-written gradient (through [`op`](crate::op)) is best built from; they are plain slice
//! functions with no state, so keeping them public constrains nothing in the engine.

mod body;
mod simd;

pub use simd::{Simd, Unsupported};

use crate::Scalar;

/// Calls the elementwise kernel `$name` in the variant compiled for the active level.
macro_rules! dispatch {
    ($name:ident::<$t:ty>($($arg:expr),* $(,)?)) => {{
        match level::<$t>() {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => {
                // SAFETY: `level` only returns a level the CPU supports (detected at run time,
                // or checked by `Simd::run`), and `Avx512` requires avx512f, avx2 and fma: the
                // features the `avx512` variants are compiled with.
                unsafe { x86::avx512::$name::<$t>($($arg),*) }
            }
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2Fma => {
                // SAFETY: as above; `Avx2Fma` requires avx2 and fma, the `avx2` features.
                unsafe { x86::avx2::$name::<$t>($($arg),*) }
            }
            _ => body::$name::<$t, false>($($arg),*),
        }
    }};
}

/// Returns from the enclosing function with the intrinsics variant of reduction `$name` when
/// `$t` is `f64` or `f32` and the active level has one; falls through otherwise. Arguments are
/// tagged `slice`, `slice_mut` (cast to the concrete float) or `copy`.
macro_rules! wide_reduction {
    ($name:ident::<$t:ty>($($arg:ident: $kind:ident),*)) => {
        #[cfg(target_arch = "x86_64")]
        {
            wide_reduction!(@try $name, $t, f64, avx512_f64, avx2_f64, $($arg: $kind),*);
            wide_reduction!(@try $name, $t, f32, avx512_f32, avx2_f32, $($arg: $kind),*);
        }
    };
    (@try $name:ident, $t:ty, $f:ty, $wide:ident, $narrow:ident, $($arg:ident: $kind:ident),*) => {
        if core::any::TypeId::of::<$t>() == core::any::TypeId::of::<$f>() {
            $(let $arg = wide_reduction!(@cast $kind, $arg, $f);)*
            match Simd::active() {
                // SAFETY: `Simd::active` only returns a level the CPU supports; `Avx512`
                // requires the features `x86::avx512_*` are compiled with, `Avx2Fma` those of
                // `x86::avx2_*`.
                Simd::Avx512 => return cast::value(unsafe { x86::$wide::$name($($arg),*) }),
                // SAFETY: as above.
                Simd::Avx2Fma => return cast::value(unsafe { x86::$narrow::$name($($arg),*) }),
                _ => {}
            }
        }
    };
    (@cast slice, $a:ident, $f:ty) => { cast::slice::<_, $f>($a) };
    (@cast slice_mut, $a:ident, $f:ty) => { cast::slice_mut::<_, $f>(&mut *$a) };
    (@cast copy, $a:ident, $f:ty) => { $a };
}

/// The level the kernels use for scalar type `T`: the active one for `f32` and `f64`,
/// `Portable` for any other scalar (whose `mul_add` may not be one instruction).
#[inline(always)]
fn level<T: Scalar>() -> Simd {
    use core::any::TypeId;
    if TypeId::of::<T>() == TypeId::of::<f64>() || TypeId::of::<T>() == TypeId::of::<f32>() {
        Simd::active()
    } else {
        Simd::Portable
    }
}

/// Casts between a generic scalar and the concrete float it was checked to be.
mod cast {
    use core::any::TypeId;

    /// `&[T]` as `&[U]`; panics unless `T` is `U` (callers check first, and the check folds
    /// away at compile time).
    #[inline(always)]
    pub(super) fn slice<T: 'static, U: 'static>(a: &[T]) -> &[U] {
        assert!(TypeId::of::<T>() == TypeId::of::<U>());
        // SAFETY: `T` and `U` are the same type (checked above), so the layout, length and
        // lifetime carry over unchanged.
        unsafe { core::slice::from_raw_parts(a.as_ptr().cast::<U>(), a.len()) }
    }

    /// `&mut [T]` as `&mut [U]`; panics unless `T` is `U`.
    #[inline(always)]
    pub(super) fn slice_mut<T: 'static, U: 'static>(a: &mut [T]) -> &mut [U] {
        assert!(TypeId::of::<T>() == TypeId::of::<U>());
        // SAFETY: as in `slice`; the borrow is unique and moves into the result.
        unsafe { core::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<U>(), a.len()) }
    }

    /// A value of type `U` as `T`; panics unless `T` is `U`.
    #[inline(always)]
    pub(super) fn value<U: 'static, T: 'static>(u: U) -> T {
        assert!(TypeId::of::<T>() == TypeId::of::<U>());
        let u = core::mem::ManuallyDrop::new(u);
        // SAFETY: `T` and `U` are the same type (checked above); `u` is not dropped, so the
        // value moves rather than being duplicated.
        unsafe { core::mem::transmute_copy::<U, T>(&u) }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86;

/// `a . b`, with independent partial sums.
///
/// ```
/// assert_eq!(backprop::kernels::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
#[inline]
pub fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    assert_eq!(a.len(), b.len(), "dot: lengths differ");
    wide_reduction!(dot::<T>(a: slice, b: slice));
    body::dot(a, b)
}

/// `out = w v` for a `rows x cols` matrix `w`.
///
/// ```
/// let mut out = [0.0; 2];
/// backprop::kernels::matvec(&[1.0, 2.0, 3.0, 4.0], 2, 2, &[1.0, 1.0], &mut out);
/// assert_eq!(out, [3.0, 7.0]);
/// ```
#[inline]
pub fn matvec<T: Scalar>(w: &[T], rows: usize, cols: usize, v: &[T], out: &mut [T]) {
    assert!(
        rows.checked_mul(cols) == Some(w.len()) && v.len() == cols && out.len() == rows,
        "matvec: sizes do not match"
    );
    wide_reduction!(matvec::<T>(w: slice, cols: copy, v: slice, out: slice_mut));
    body::matvec(w, cols, v, out)
}

/// `out += w^T d` for a `rows x cols` matrix `w` and a vector `d` of `rows` elements.
///
/// ```
/// let mut out = [0.0; 2];
/// backprop::kernels::matvec_t_acc(&[1.0, 2.0, 3.0, 4.0], 2, 2, &[1.0, 1.0], &mut out);
/// assert_eq!(out, [4.0, 6.0]);
/// ```
#[inline]
pub fn matvec_t_acc<T: Scalar>(w: &[T], rows: usize, cols: usize, d: &[T], out: &mut [T]) {
    assert!(
        rows.checked_mul(cols) == Some(w.len()) && d.len() == rows && out.len() == cols,
        "matvec_t_acc: sizes do not match"
    );
    dispatch!(matvec_t::<T>(w, cols, d, out, true))
}

/// `out = w^T d` for a `rows x cols` matrix `w`: [`matvec_t_acc`] that overwrites `out`
/// instead of reading it (no zero-fill needed before).
///
/// ```
/// let mut out = [f64::NAN; 2];
/// backprop::kernels::matvec_t(&[1.0, 2.0, 3.0, 4.0], 2, 2, &[1.0, 1.0], &mut out);
/// assert_eq!(out, [4.0, 6.0]);
/// ```
#[inline]
pub fn matvec_t<T: Scalar>(w: &[T], rows: usize, cols: usize, d: &[T], out: &mut [T]) {
    assert!(
        rows.checked_mul(cols) == Some(w.len()) && d.len() == rows && out.len() == cols,
        "matvec_t: sizes do not match"
    );
    dispatch!(matvec_t::<T>(w, cols, d, out, false))
}

/// `m += a b^T`: a rank-1 update of a `a.len() x b.len()` row-major matrix.
///
/// ```
/// let mut m = [0.0; 4];
/// backprop::kernels::rank1_acc(&mut m, &[1.0, 2.0], &[3.0, 4.0]);
/// assert_eq!(m, [3.0, 4.0, 6.0, 8.0]);
/// ```
#[inline]
pub fn rank1_acc<T: Scalar>(m: &mut [T], a: &[T], b: &[T]) {
    assert!(
        a.len().checked_mul(b.len()) == Some(m.len()),
        "rank1_acc: sizes do not match"
    );
    dispatch!(rank1::<T>(m, a, b, true))
}

/// `m = a b^T`: the outer product written over `m` (which is never read), the write-once form
/// of [`rank1_acc`] for a gradient with a single contribution.
///
/// ```
/// let mut m = [f64::NAN; 4];
/// backprop::kernels::outer(&mut m, &[1.0, 2.0], &[3.0, 4.0]);
/// assert_eq!(m, [3.0, 4.0, 6.0, 8.0]);
/// ```
#[inline]
pub fn outer<T: Scalar>(m: &mut [T], a: &[T], b: &[T]) {
    assert!(
        a.len().checked_mul(b.len()) == Some(m.len()),
        "outer: sizes do not match"
    );
    dispatch!(rank1::<T>(m, a, b, false))
}

/// `y += alpha x`.
///
/// ```
/// let mut y = [1.0, 1.0];
/// backprop::kernels::axpy(&mut y, 2.0, &[1.0, 3.0]);
/// assert_eq!(y, [3.0, 7.0]);
/// ```
#[inline]
pub fn axpy<T: Scalar>(y: &mut [T], alpha: T, x: &[T]) {
    assert_eq!(y.len(), x.len(), "axpy: lengths differ");
    dispatch!(axpy::<T>(y, alpha, x))
}

/// `y += x`, elementwise.
///
/// ```
/// let mut y = [1.0, 2.0];
/// backprop::kernels::add_assign(&mut y, &[10.0, 20.0]);
/// assert_eq!(y, [11.0, 22.0]);
/// ```
#[inline]
pub fn add_assign<T: Scalar>(y: &mut [T], x: &[T]) {
    assert_eq!(y.len(), x.len(), "add_assign: lengths differ");
    dispatch!(add_assign::<T>(y, x))
}

/// Sum of the elements, with independent partial sums.
///
/// ```
/// assert_eq!(backprop::kernels::sum(&[1.0, 2.0, 3.5]), 6.5);
/// ```
#[inline]
pub fn sum<T: Scalar>(a: &[T]) -> T {
    wide_reduction!(sum::<T>(a: slice));
    body::sum(a)
}

/// Which operands of [`gemm`] are read transposed.
///
/// ```
/// use backprop::kernels::{gemm, Transpose};
/// let a = [1.0, 2.0]; // 1x2, read as its 2x1 transpose
/// let mut c = [0.0; 4];
/// gemm(2, 1, 2, &a, &a, 0.0, &mut c, Transpose::A);
/// assert_eq!(c, [1.0, 2.0, 2.0, 4.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// `c (+)= a b`
    None,
    /// `c (+)= a^T b`
    A,
    /// `c (+)= a b^T`
    B,
}

/// `c = beta c + op(a) op(b)` with `c` of `m x n` and inner dimension `k`, all row-major as
/// stored; a transposed operand is read through swapped strides (no copy).
///
/// ```
/// use backprop::kernels::{gemm, Transpose};
/// let (a, b) = ([1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 0.0, 1.0]);
/// let mut c = [0.0; 4];
/// gemm(2, 2, 2, &a, &b, 0.0, &mut c, Transpose::None);
/// assert_eq!(c, a);
/// gemm(2, 2, 2, &a, &b, 1.0, &mut c, Transpose::A); // c += a^T
/// assert_eq!(c, [2.0, 5.0, 5.0, 8.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
    trans: Transpose,
) {
    // Checked products: a wrapping `m * k` would let huge sizes pass with small buffers and
    // send matrixmultiply past their ends.
    let fits = |len: usize, r: usize, c: usize| r.checked_mul(c) == Some(len);
    assert!(
        fits(a.len(), m, k) && fits(b.len(), k, n) && fits(c.len(), m, n),
        "gemm: buffers of {}, {} and {} elements do not hold {m}x{k}, {k}x{n} and {m}x{n} matrices",
        a.len(),
        b.len(),
        c.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // op(a) op(b) is zero: only the scaling of `c` remains.
        c.iter_mut().for_each(|x| {
            *x = if beta == T::zero() {
                T::zero()
            } else {
                beta * *x
            }
        });
        return;
    }
    // Strides (row, column) of op(a) as m x k and op(b) as k x n.
    let (rsa, csa) = match trans {
        Transpose::A => (1, m as isize),
        _ => (k as isize, 1),
    };
    let (rsb, csb) = match trans {
        Transpose::B => (1, k as isize),
        _ => (n as isize, 1),
    };
    // SAFETY: the assert above checks, without overflow, that every slice holds its full
    // matrix, so every offset matrixmultiply computes is in bounds; each size is then at most
    // `isize::MAX` (no slice is longer, and none is empty here), so the strides above are exact;
    // `c` is a distinct `&mut` borrow, so it cannot alias `a` or `b`.
    unsafe {
        T::gemm(
            m,
            k,
            n,
            T::one(),
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// True when `|a_i - b_i| <= tol * max(1, |a_i|, |b_i|)` for every `i` (and lengths match).
///
/// ```
/// assert!(backprop::kernels::approx_eq(&[1.0, 1e6], &[1.0, 1e6 + 1e-4], 1e-9));
/// assert!(!backprop::kernels::approx_eq(&[1.0], &[1.1], 1e-3));
/// ```
pub fn approx_eq<T: Scalar>(a: &[T], b: &[T], tol: T) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(&x, &y)| {
            let scale = T::one().max(x.abs()).max(y.abs());
            (x - y).abs() <= tol * scale
        })
}
