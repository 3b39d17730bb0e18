//! A dense layer as one node: `y = f(W h + b)`.
//!
//! | forward | backward |
//! |---|---|
//! | `z = W h + b`, `y = f(z)` | `dz = dy * f'(z)`, `dW += dz h^T`, `db += dz`, `dh += W^T dz` |
//!
//! The same result as `(w.matvec(h) + b).tanh()`, in one node instead of three: one buffer for
//! `z` and one for `y` instead of three temporaries, and one level of nesting per layer, so a
//! chain of 100 layers stays within the compiler's default recursion limit (the three-node
//! form reaches it near 40 layers).

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{init, send_or_write, slot, written, Diff, Ex, Expr, MaxOf};
use crate::ops::elementwise::{NodeOf, Operand, OutOf};
use crate::ops::map::ElemFn;
use crate::shape::DenseShape;
use crate::{kernels, Dim, Matrix, Scalar, Vector};

/// The node of a dense layer (built by [`Ex::dense`]).
///
/// ```
/// use backprop::prelude::*;
/// use backprop::ops::map::Tanh;
/// let w = Matrix::<f64, U2, U2>::identity();
/// let b = Vector::<f64, U2>::from([0.0, 1.0]);
/// let h = Vector::<f64, U2>::from([0.5, -1.0]);
/// let y = eval(|(w, b, h)| h.dense(w, b, Tanh), &(w, b, h));
/// assert_eq!(y, Vector::from([0.5_f64.tanh(), 0.0]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dense<F, W, B, H> {
    f: F,
    w: W,
    b: B,
    h: H,
}

impl<H: Expr> Ex<H> {
    /// A dense layer on this vector: `f(W h + b)` for an `R x C` matrix `w`, a bias `b` of `R`
    /// and this vector of `C`; `f` is an elementwise function such as
    /// [`Tanh`](crate::ops::map::Tanh), [`Logistic`](crate::ops::map::Logistic),
    /// [`Relu`](crate::ops::map::Relu) or [`Identity`](crate::ops::map::Identity).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use backprop::ops::map::Logistic;
    /// let w = Matrix::<f64, U3, U2>::from([[1.0, -1.0], [0.5, 0.2], [-0.3, 0.8]]);
    /// let b = Vector::<f64, U3>::from([0.1, 0.0, -0.2]);
    /// let x = Vector::<f64, U2>::from([0.4, -0.6]);
    /// let fused = grad(|(w, b)| constant(&x).dense(w, b, Logistic).sum(), &(w.clone(), b.clone()));
    /// let plain = grad(|(w, b)| (w.matvec(constant(&x)) + b).logistic().sum(), &(w, b));
    /// assert!(fused.0.approx_eq(&plain.0, 1e-15) && fused.1.approx_eq(&plain.1, 1e-15));
    /// ```
    #[inline(always)]
    pub fn dense<W: Operand, B: Operand, F>(
        self,
        w: W,
        b: B,
        f: F,
    ) -> Ex<Dense<F, NodeOf<W>, NodeOf<B>, H>>
    where
        OutOf<W>: DenseShape<OutOf<B>, H::Out>,
    {
        Ex(Dense {
            f,
            w: w.into_ex().0,
            b: b.into_ex().0,
            h: self.0,
        })
    }
}

impl<F, W, B, H, T, R, C> Expr for Dense<F, W, B, H>
where
    T: Scalar,
    R: Dim,
    C: Dim,
    F: ElemFn<T>,
    W: Expr<Out = Matrix<T, R, C>>,
    B: Expr<Out = Vector<T, R>>,
    H: Expr<Out = Vector<T, C>>,
{
    type Out = Vector<T, R>;
    type Depth = MaxOf<W::Depth, MaxOf<B::Depth, H::Depth>>;
    crate::expr::seal!();
    const NEEDS_GRAD: bool = W::NEEDS_GRAD || B::NEEDS_GRAD || H::NEEDS_GRAD;
    const OVERWRITE: bool = W::OVERWRITE && B::OVERWRITE && H::OVERWRITE;
}

impl<In, F, W, B, H, T, R, C> Diff<In> for Dense<F, W, B, H>
where
    T: Scalar,
    R: Dim,
    C: Dim,
    F: ElemFn<T>,
    W: Diff<In, Out = Matrix<T, R, C>>,
    B: Diff<In, Out = Vector<T, R>>,
    H: Diff<In, Out = Vector<T, C>>,
{
    /// The children's caches, `z = W h + b` and `y = f(z)`.
    type Cache = (W::Cache, B::Cache, H::Cache, Vector<T, R>, Vector<T, R>);

    crate::expr::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let (cw, cb, ch) = (slot!(p, 0), slot!(p, 1), slot!(p, 2));
        self.w.forward(x, cw);
        let gw = written!(p, 0);
        self.b.forward(x, cb);
        let gb = written!(p, 1);
        self.h.forward(x, ch);
        let gh = written!(p, 2);
        let (w, b, h) = (
            self.w.value(x, init(cw)),
            self.b.value(x, init(cb)),
            self.h.value(x, init(ch)),
        );
        let z = slot!(p, 3).write(affine(w, h, b));
        let gz = written!(p, 3);
        let y = slot!(p, 4).write(z.clone());
        let gy = written!(p, 4);
        y.iter_mut().for_each(|v| *v = self.f.f(*v));
        gz.disarm();
        gy.disarm();
        gw.disarm();
        gb.disarm();
        gh.disarm();
    }

    #[inline(always)]
    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Vector<T, R> {
        &c.4
    }

    #[inline(always)]
    fn backward(&self, x: &In, c: &Self::Cache, mut dy: Vector<T, R>, dx: &mut In) {
        let (w, h) = (self.w.value(x, &c.0), self.h.value(x, &c.2));
        // dz = dy * f'(z, y), in place
        for ((d, &z), &y) in dy.iter_mut().zip(c.3.iter()).zip(c.4.iter()) {
            *d *= self.f.df(z, y);
        }
        let dz = dy.as_slice();
        // Each gradient is added, or written where it is the first (see `expr::ledger`).
        send_or_write(
            &self.w,
            x,
            &c.0,
            dx,
            |g| kernels::rank1_acc(g.as_mut_slice(), dz, h.as_slice()),
            |g, _| kernels::outer(g.as_mut_slice(), dz, h.as_slice()),
        );
        send_or_write(
            &self.h,
            x,
            &c.2,
            dx,
            |g| kernels::matvec_t_acc(w.as_slice(), R::USIZE, C::USIZE, dz, g.as_mut_slice()),
            |g, _| kernels::matvec_t(w.as_slice(), R::USIZE, C::USIZE, dz, g.as_mut_slice()),
        );
        send_or_write(
            &self.b,
            x,
            &c.1,
            dx,
            |g| kernels::add_assign(g.as_mut_slice(), dz),
            |g, _| g.as_mut_slice().copy_from_slice(dz),
        );
    }

    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Vector<T, R>> {
        let (w, b, h) = (self.w.eval(x), self.b.eval(x), self.h.eval(x));
        let mut y = affine(&w, &h, &b);
        y.iter_mut().for_each(|v| *v = self.f.f(*v));
        Cow::Owned(y)
    }
}

/// `W h + b`.
#[inline(always)]
fn affine<T: Scalar, R: Dim, C: Dim>(
    w: &Matrix<T, R, C>,
    h: &Vector<T, C>,
    b: &Vector<T, R>,
) -> Vector<T, R> {
    let mut z = b.clone();
    for (zi, row) in z.iter_mut().zip(w.as_slice().chunks_exact(C::USIZE.max(1))) {
        *zi += kernels::dot(row, h.as_slice());
    }
    z
}

/// Second order: `ż = Ẇ h + W ḣ + ḃ`, `ẏ = f'(z) ż`; backward's tangent:
/// `dż = dẏ f'(z) + dy f''(z) ż`, `dẆ += dż hᵀ + dz ḣᵀ`, `dḣ += Ẇᵀ dz + Wᵀ dż`, `dḃ += dż`.
impl<In, F, W, B, H, T, R, C> crate::tangent::Tangent<In> for Dense<F, W, B, H>
where
    T: Scalar,
    R: Dim,
    C: Dim,
    F: ElemFn<T> + ElemFn<crate::dual::Dual<T>>,
    W: crate::tangent::Tangent<In, Out = Matrix<T, R, C>>,
    B: crate::tangent::Tangent<In, Out = Vector<T, R>>,
    H: crate::tangent::Tangent<In, Out = Vector<T, C>>,
{
    /// The children's, `ż` and `ẏ`.
    type TCache = (
        W::TCache,
        B::TCache,
        H::TCache,
        Option<(Vector<T, R>, Vector<T, R>)>,
    );
    crate::expr::seal!();
    #[inline(always)]
    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
        let (tw, tb, th) = (
            self.w.tangent(x, t, &c.0),
            self.b.tangent(x, t, &c.1),
            self.h.tangent(x, t, &c.2),
        );
        let (wt, bt, ht) = (
            self.w.tvalue(t, &tw),
            self.b.tvalue(t, &tb),
            self.h.tvalue(t, &th),
        );
        let zy = (wt.is_some() || bt.is_some() || ht.is_some()).then(|| {
            let (w, h) = (self.w.value(x, &c.0), self.h.value(x, &c.2));
            let mut zt = bt.cloned().unwrap_or_else(Vector::zeros);
            let rows = |m: &Matrix<T, R, C>, v: &Vector<T, C>, z: &mut Vector<T, R>| {
                for (zi, row) in z.iter_mut().zip(m.as_slice().chunks_exact(C::USIZE.max(1))) {
                    *zi += kernels::dot(row, v.as_slice());
                }
            };
            if let Some(wt) = wt {
                rows(wt, h, &mut zt);
            }
            if let Some(ht) = ht {
                rows(w, ht, &mut zt);
            }
            let (zs, ys) = (c.3.as_slice(), c.4.as_slice());
            let yt = Vector::from_fn(|i| ElemFn::<T>::df(&self.f, zs[i], ys[i]) * zt[i]);
            (zt, yt)
        });
        (tw, tb, th, zy)
    }
    #[inline(always)]
    fn tvalue<'a>(&'a self, _: &'a In, tc: &'a Self::TCache) -> Option<&'a Vector<T, R>> {
        tc.3.as_ref().map(|(_, yt)| yt)
    }
    #[inline(always)]
    fn backward_tangent(
        &self,
        x: &In,
        t: &In,
        c: &Self::Cache,
        tc: &Self::TCache,
        dy: Vector<T, R>,
        dyt: Option<Vector<T, R>>,
        g: &mut In,
        gt: &mut In,
    ) {
        use crate::dual::Dual;
        let (w, h) = (self.w.value(x, &c.0), self.h.value(x, &c.2));
        let (wt, ht) = (self.w.tvalue(t, &tc.0), self.h.tvalue(t, &tc.2));
        let (zs, ys) = (c.3.as_slice(), c.4.as_slice());
        let dz = Vector::<T, R>::from_fn(|i| dy[i] * ElemFn::<T>::df(&self.f, zs[i], ys[i]));
        // dż = dẏ f'(z) + dy f''(z) ż, or nothing when both terms are zero.
        let dzt = match (&dyt, &tc.3) {
            (None, None) => None,
            (dyt, zy) => Some(Vector::<T, R>::from_fn(|i| {
                let mut v = T::zero();
                if let Some(d) = dyt {
                    v += d[i] * ElemFn::<T>::df(&self.f, zs[i], ys[i]);
                }
                if let Some((zt, yt)) = zy {
                    let d2 = ElemFn::<Dual<T>>::df(
                        &self.f,
                        Dual::new(zs[i], zt[i]),
                        Dual::new(ys[i], yt[i]),
                    );
                    v += dy[i] * d2.eps;
                }
                v
            })),
        };
        let (dz, dzt) = (dz.as_slice(), dzt.as_ref().map(|d| d.as_slice()));
        crate::tangent::send_tangent(
            &self.w,
            x,
            t,
            &c.0,
            &tc.0,
            g,
            gt,
            |g, first| {
                if first {
                    kernels::outer(g.as_mut_slice(), dz, h.as_slice())
                } else {
                    kernels::rank1_acc(g.as_mut_slice(), dz, h.as_slice())
                }
            },
            dzt.is_some() || ht.is_some(),
            |g, first| {
                match (dzt, first) {
                    (Some(dzt), true) => kernels::outer(g.as_mut_slice(), dzt, h.as_slice()),
                    (Some(dzt), false) => kernels::rank1_acc(g.as_mut_slice(), dzt, h.as_slice()),
                    (None, true) => crate::Backprop::set_zero(g),
                    (None, false) => {}
                }
                if let Some(ht) = ht {
                    kernels::rank1_acc(g.as_mut_slice(), dz, ht.as_slice());
                }
            },
        );
        crate::tangent::send_tangent(
            &self.h,
            x,
            t,
            &c.2,
            &tc.2,
            g,
            gt,
            |g, first| {
                if first {
                    kernels::matvec_t(w.as_slice(), R::USIZE, C::USIZE, dz, g.as_mut_slice())
                } else {
                    kernels::matvec_t_acc(w.as_slice(), R::USIZE, C::USIZE, dz, g.as_mut_slice())
                }
            },
            dzt.is_some() || wt.is_some(),
            |g, first| {
                if first {
                    crate::Backprop::set_zero(g);
                }
                if let Some(wt) = wt {
                    kernels::matvec_t_acc(wt.as_slice(), R::USIZE, C::USIZE, dz, g.as_mut_slice());
                }
                if let Some(dzt) = dzt {
                    kernels::matvec_t_acc(w.as_slice(), R::USIZE, C::USIZE, dzt, g.as_mut_slice());
                }
            },
        );
        crate::tangent::send_tangent(
            &self.b,
            x,
            t,
            &c.1,
            &tc.1,
            g,
            gt,
            |g, first| {
                if first {
                    g.as_mut_slice().copy_from_slice(dz)
                } else {
                    kernels::add_assign(g.as_mut_slice(), dz)
                }
            },
            dzt.is_some(),
            |g, first| match (dzt, first) {
                (Some(dzt), true) => g.as_mut_slice().copy_from_slice(dzt),
                (Some(dzt), false) => kernels::add_assign(g.as_mut_slice(), dzt),
                (None, true) => crate::Backprop::set_zero(g),
                (None, false) => {}
            },
        );
    }
}
