//! The kernels' portable loops. The elementwise ones are generic over whether to fuse
//! multiply-adds and `#[inline(always)]`: compiled into each caller, so the AVX2 and AVX-512
//! variants in `super::x86` get them built with their own target features (LLVM's vectoriser
//! fills the wide registers). The reductions here are the portable fallback only (`super::x86`
//! writes its own with intrinsics): eight independent partial sums, which fill four SSE2
//! registers and break the floating-point add chain.
//!
//! Sizes are checked by the public functions in `super`; here they are only relied on for
//! speed (every access is still bounds-checked or goes through `zip`/`chunks_exact`).

use crate::Scalar;

/// `a * b + c`, fused into one rounding when `FMA` (only set where the CPU has the instruction:
/// elsewhere `mul_add` would be a slow library call).
#[inline(always)]
fn mul_add<T: Scalar, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Independent partial sums in the portable reductions.
const L: usize = 8;

/// Sums the partial sums pairwise.
#[inline(always)]
fn reduce<T: Scalar>(mut acc: [T; L]) -> T {
    let mut width = L / 2;
    while width > 0 {
        for i in 0..width {
            let upper = acc[i + width];
            acc[i] += upper;
        }
        width /= 2;
    }
    acc[0]
}

#[inline(always)]
pub(super) fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(); L];
    let main = a.len() / L * L;
    let (a_main, a_rest) = a.split_at(main);
    let (b_main, b_rest) = b.split_at(main);
    for (x, y) in a_main.chunks_exact(L).zip(b_main.chunks_exact(L)) {
        for j in 0..L {
            acc[j] += x[j] * y[j];
        }
    }
    // (A separate sum: indexing `acc` by a run-time position would keep it in memory.)
    let mut tail = T::zero();
    for (&x, &y) in a_rest.iter().zip(b_rest) {
        tail += x * y;
    }
    reduce(acc) + tail
}

/// `out = w v`, `w` row-major with `cols` columns.
#[inline(always)]
pub(super) fn matvec<T: Scalar>(w: &[T], cols: usize, v: &[T], out: &mut [T]) {
    if cols == 0 {
        out.iter_mut().for_each(|o| *o = T::zero());
        return;
    }
    for (o, row) in out.iter_mut().zip(w.chunks_exact(cols)) {
        *o = dot(row, v);
    }
}

/// `out (+)= w^T d`: adds when `add`, else overwrites `out` (never reading it).
#[inline(always)]
pub(super) fn matvec_t<T: Scalar, const FMA: bool>(
    w: &[T],
    cols: usize,
    d: &[T],
    out: &mut [T],
    add: bool,
) {
    if cols == 0 {
        return;
    }
    let row = |r: usize| &w[r * cols..(r + 1) * cols];
    let mut r = 0;
    if !add {
        match d.first() {
            Some(&d0) => scale_into(out, d0, row(0)),
            None => out.iter_mut().for_each(|o| *o = T::zero()),
        }
        r = 1;
    }
    // Four rows at a time: `out` is loaded and stored once per four rows of `w`.
    while r + 4 <= d.len() {
        let (w0, w1, w2, w3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
        let (d0, d1, d2, d3) = (d[r], d[r + 1], d[r + 2], d[r + 3]);
        for ((((o, &a), &b), &c), &e) in out.iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
            let s = mul_add::<T, FMA>(d0, a, *o);
            let s = mul_add::<T, FMA>(d1, b, s);
            let s = mul_add::<T, FMA>(d2, c, s);
            *o = mul_add::<T, FMA>(d3, e, s);
        }
        r += 4;
    }
    for (r, &dr) in d.iter().enumerate().skip(r) {
        axpy::<T, FMA>(out, dr, row(r));
    }
}

/// `out = alpha x`.
#[inline(always)]
fn scale_into<T: Scalar>(out: &mut [T], alpha: T, x: &[T]) {
    for (o, &xi) in out.iter_mut().zip(x) {
        *o = alpha * xi;
    }
}

/// `m (+)= a b^T`: adds when `add`, else overwrites `m` (never reading it).
#[inline(always)]
pub(super) fn rank1<T: Scalar, const FMA: bool>(m: &mut [T], a: &[T], b: &[T], add: bool) {
    if b.is_empty() {
        return;
    }
    for (&ar, row) in a.iter().zip(m.chunks_exact_mut(b.len())) {
        if add {
            axpy::<T, FMA>(row, ar, b);
        } else {
            scale_into(row, ar, b);
        }
    }
}

#[inline(always)]
pub(super) fn axpy<T: Scalar, const FMA: bool>(y: &mut [T], alpha: T, x: &[T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = mul_add::<T, FMA>(alpha, xi, *yi);
    }
}

#[inline(always)]
pub(super) fn add_assign<T: Scalar, const FMA: bool>(y: &mut [T], x: &[T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += xi;
    }
}

#[inline(always)]
pub(super) fn sum<T: Scalar>(a: &[T]) -> T {
    let mut acc = [T::zero(); L];
    let main = a.len() / L * L;
    let (a_main, a_rest) = a.split_at(main);
    for x in a_main.chunks_exact(L) {
        for j in 0..L {
            acc[j] += x[j];
        }
    }
    let mut tail = T::zero();
    for &x in a_rest {
        tail += x;
    }
    reduce(acc) + tail
}
