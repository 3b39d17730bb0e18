//! Plain numeric kernels over slices and `usize` sizes, shared by every engine (and by the
//! hand-written reference network in the benchmarks), so that a comparison between engines
//! compares bookkeeping, never arithmetic.
//!
//! Matrices are row-major: element `(r, c)` of an `rows x cols` matrix is `m[r * cols + c]`.
//! Matrix-vector products are our own loops: routing a single sample through `matrixmultiply`
//! was measured 2x slower (it packs the whole matrix on every call). Matrix-matrix products go
//! through [`Scalar::gemm`](crate::Scalar), i.e. `matrixmultiply` for `f32`/`f64`.
//!
//! Every function here is safe and checks its sizes (with overflow-checked arithmetic), panicking
//! with the sizes it was given, as slice methods do. They are public because they are what a
//! hand-written gradient (through [`op`](crate::op)) is best built from; they are plain slice
//! functions with no state, so keeping them public constrains nothing in the engine.

use crate::Scalar;

/// Lanes of independent accumulators in reductions: enough to fill two AVX registers of `f64`
/// and to break the floating-point add dependency chain.
const LANES: usize = 8;

/// `a . b`, with eight independent partial sums.
///
/// ```
/// assert_eq!(backprop::kernels::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
#[inline]
pub fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    assert_eq!(a.len(), b.len(), "dot: lengths differ");
    let mut acc = [T::zero(); LANES];
    let (ac, ar) = a.split_at(a.len() / LANES * LANES);
    let (bc, br) = b.split_at(ac.len());
    for (x, y) in ac.chunks_exact(LANES).zip(bc.chunks_exact(LANES)) {
        for j in 0..LANES {
            acc[j] += x[j] * y[j];
        }
    }
    let mut s = T::zero();
    for (x, y) in ar.iter().zip(br) {
        s += *x * *y;
    }
    for a in acc {
        s += a;
    }
    s
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
    for (o, row) in out.iter_mut().zip(w.chunks_exact(cols.max(1))) {
        *o = dot(row, v);
    }
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
    for (&dr, row) in d.iter().zip(w.chunks_exact(cols.max(1))) {
        axpy(out, dr, row);
    }
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
    for (&ar, row) in a.iter().zip(m.chunks_exact_mut(b.len().max(1))) {
        axpy(row, ar, b);
    }
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
    assert_eq!(y.len(), x.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
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
    assert_eq!(y.len(), x.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += xi;
    }
}

/// Sum of the elements, with eight independent partial sums.
///
/// ```
/// assert_eq!(backprop::kernels::sum(&[1.0, 2.0, 3.5]), 6.5);
/// ```
#[inline]
pub fn sum<T: Scalar>(a: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let (ac, ar) = a.split_at(a.len() / LANES * LANES);
    for x in ac.chunks_exact(LANES) {
        for j in 0..LANES {
            acc[j] += x[j];
        }
    }
    ar.iter().copied().chain(acc).fold(T::zero(), |s, x| s + x)
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
