//! Entry points: run a closure over placeholders forward, backward, or both.
//!
//! Each is a free function with trait bounds (not a method), so that a shape error in the
//! closure is reported at the closure, with the crate's own messages.
//!
//! The closure runs once per call to build the expression (zero-sized placeholders and borrowed
//! constants: nothing is computed and nothing is allocated); then the expression runs.

use crate::expr::ledger::{with_ledger, without_ledger, Ledger};
use crate::expr::{with_forward, Diff, Ex, Input, Root, Z};
use crate::gradient::check_buffer;
use crate::{Backprop, GradientShapeError};

/// The placeholders a closure over `In` receives.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::entry::Placeholders;
/// // A reusable loss, written once for a (weights, bias) pair.
/// fn loss(
///     (w, b): Placeholders<(Vector<f64, U2>, f64)>,
/// ) -> Ex<impl backprop::expr::Diff<(Vector<f64, U2>, f64), Out = f64>> {
///     (w.sum() + b).powi(2)
/// }
/// let (dw, db) = grad(loss, &(Vector::from([1.0, 2.0]), 0.5));
/// assert_eq!((dw, db), (Vector::filled(7.0), 7.0));
/// ```
pub type Placeholders<In> = <In as Input>::Ph<Root<Z>>;

/// Evaluates the closure's expression at `x`: the value only, no cache and no backward work.
///
/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U2, U2>::identity();
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// let y: f64 = eval(|(s, v, m)| m.matvec(v).sum() * s, &(2.0_f64, v, m));
/// assert_eq!(y, 6.0);
/// ```
pub fn eval<In, F, N>(f: F, x: &In) -> N::Out
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    let e = f(In::placeholder());
    e.0.eval(x).into_owned()
}

/// The value at `x` and the gradient with respect to every part of `x` (same type as `x`).
///
/// The seed is [`Backprop::one_like`] of the result: for a scalar result this is the gradient;
/// for a tensor result it is the gradient of the sum of its elements (use [`vjp`] to choose).
///
/// ```
/// use backprop::prelude::*;
/// let (y, dx) = value_and_grad(|x| x.sin() * x + x.exp(), &0.5_f64);
/// assert!((y - (0.5_f64.sin() * 0.5 + 0.5_f64.exp())).abs() < 1e-15);
/// assert!((dx - (0.5_f64.cos() * 0.5 + 0.5_f64.sin() + 0.5_f64.exp())).abs() < 1e-15);
/// ```
pub fn value_and_grad<In, F, N>(f: F, x: &In) -> (N::Out, In)
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    let e = f(In::placeholder());
    with_forward(&e.0, x, |cache| {
        let y = e.0.value(x, cache).clone();
        let g = fresh_gradient(&e.0, x, cache, || y.one_like());
        (y, g)
    })
}

/// Whether [`value_and_grad`] and [`value_and_grad_into`] compute this function's gradient by
/// *writing* each part of it once (no zero-fill first, no read of the old value), rather than
/// by zeroing a buffer and adding every contribution into it. Both give the same result; the
/// first saves a pass over memory per weight matrix, which is most of the cost of a large
/// layer's gradient.
///
/// It holds for computations built from the crate's arithmetic, maps, linear algebra, `dense`,
/// softmax and losses, and `op`/`op2`/`op3`, over placeholders of scalars, vectors and
/// matrices (in tuples or derived records). It does not where a body (`then`, `fold`, `scan`,
/// `map_items`, ...), a container input, or a whole record (`.whole()`) is used. `x` only fixes
/// the input type.
///
/// ```
/// use backprop::prelude::*;
/// use backprop::entry::writes_once;
/// let p = (Matrix::<f64, U2, U3>::zeros(), Vector::<f64, U2>::zeros());
/// let x = Vector::<f64, U3>::zeros();
/// assert!(writes_once(|(w, b)| (w.matvec(constant(&x)) + b).tanh().sum(), &p));
/// // A `.then` body adds into a zeroed buffer instead.
/// assert!(!writes_once(|(w, b)| (w.matvec(constant(&x)),).then(|(z,)| z.sum()) + b.sum(), &p));
/// ```
pub fn writes_once<In, F, N>(f: F, x: &In) -> bool
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    let _ = (f, x);
    ledger_mode::<In, N>()
}

/// Whether a backward pass of `N` over an input of type `In` can run in ledger mode: every
/// gradient written once, with no zero-fill (see `expr::ledger`).
const fn ledger_mode<In: Input, N: Diff<In>>() -> bool {
    N::OVERWRITE && In::LEDGER
}

/// A new gradient at `x` from the seed `dy()`: in ledger mode, a buffer of recycled memory
/// whose leaves are each written once (or zeroed if nothing writes them); else a zeroed buffer
/// that the backward pass adds into.
fn fresh_gradient<In: Input, N: Diff<In>>(
    e: &N,
    x: &In,
    cache: &N::Cache,
    dy: impl Fn() -> N::Out,
) -> In {
    if ledger_mode::<In, N>() {
        let mut g = x.stale_like();
        overwrite_gradient(e, x, cache, dy, &mut g);
        g
    } else {
        let mut g = x.zero_like();
        without_ledger(|| e.backward(x, cache, dy(), &mut g));
        g
    }
}

/// Overwrites `g` (whatever it held; it has `x`'s shape) with the gradient at `x` from the seed
/// `dy()`: in ledger mode, each leaf written once or zeroed; else zeroed and added into.
fn overwrite_gradient<In: Input, N: Diff<In>>(
    e: &N,
    x: &In,
    cache: &N::Cache,
    dy: impl Fn() -> N::Out,
    g: &mut In,
) {
    if ledger_mode::<In, N>() {
        let mut ledger = Ledger::new();
        with_ledger(&mut ledger, || e.backward(x, cache, dy(), g));
        if ledger.overflowed() {
            // More leaves than the ledger tracks: some were added into without being cleared
            // first. Run again the plain way.
            g.set_zero();
            without_ledger(|| e.backward(x, cache, dy(), g));
        } else {
            g.zero_unwritten(&ledger);
        }
    } else {
        g.set_zero();
        without_ledger(|| e.backward(x, cache, dy(), g));
    }
}

/// The gradient at `x`, of the same type as `x`.
///
/// ```
/// use backprop::prelude::*;
/// let dx: f64 = grad(|x| x.powi(3), &2.0_f64);
/// assert_eq!(dx, 12.0);
/// ```
pub fn grad<In, F, N>(f: F, x: &In) -> In
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    value_and_grad(f, x).1
}

/// Like [`value_and_grad`], but *adds* the gradient into `g`, a buffer the caller keeps.
///
/// This is the entry point for training loops: it allocates no gradient, so large parameter
/// gradients are not mapped afresh (and page-faulted) on every step, and summing over a
/// mini-batch is just calling it once per sample.
///
/// # Errors
/// [`GradientShapeError`] when `g` does not have the shape of `x` (a `Vec` of another length,
/// a map with other keys, `None` for `Some`; see [`Backprop::same_shape`]); `g` is then left
/// unchanged. For inputs of static shape this cannot happen and the check costs nothing.
///
/// ```
/// use backprop::prelude::*;
/// let mut g = 0.0_f64;
/// for x in [1.0_f64, 2.0, 3.0] {
///     value_and_grad_acc(|w| (w * constant(&x)).powi(2), &0.5_f64, &mut g)?;
/// }
/// assert_eq!(g, 14.0); // sum of 2 w x^2 over x = 1, 2, 3, at w = 0.5
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
pub fn value_and_grad_acc<In, F, N>(f: F, x: &In, g: &mut In) -> Result<N::Out, GradientShapeError>
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    check_buffer(x, g)?;
    let e = f(In::placeholder());
    Ok(with_forward(&e.0, x, |cache| {
        let y = e.0.value(x, cache).clone();
        without_ledger(|| e.0.backward(x, cache, y.one_like(), g));
        y
    }))
}

/// Like [`value_and_grad`], but *writes* the gradient into `g`, a buffer the caller keeps,
/// replacing whatever it held: no new gradient is allocated and `g` need not be zeroed first.
///
/// This is the fastest entry point for a training loop: where it can (a computation of the
/// crate's arithmetic, linear algebra and loss operations over placeholders of scalars, vectors
/// and matrices, in tuples or derived records), each part of the gradient is written once,
/// with no zero-fill and no read of the old value (see the module `expr::ledger` in the source);
/// elsewhere it zeroes `g` and adds into it, with the same result.
///
/// # Errors
/// [`GradientShapeError`] when `g` does not have the shape of `x`; `g` is then left unchanged.
///
/// ```
/// use backprop::prelude::*;
/// let w = Vector::<f64, U2>::from([1.0, 2.0]);
/// let mut g = Vector::filled(f64::NAN); // anything: it is overwritten
/// let y = value_and_grad_into(|w| w.dot(w), &w, &mut g)?;
/// assert_eq!((y, g), (5.0, Vector::from([2.0, 4.0])));
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
pub fn value_and_grad_into<In, F, N>(f: F, x: &In, g: &mut In) -> Result<N::Out, GradientShapeError>
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    check_buffer(x, g)?;
    let e = f(In::placeholder());
    Ok(with_forward(&e.0, x, |cache| {
        let y = e.0.value(x, cache).clone();
        overwrite_gradient(&e.0, x, cache, || y.one_like(), g);
        y
    }))
}

/// Vector-Jacobian product: the value at `x` and `J^T dy`, for a result of any type (Haskell's
/// `backpropWith`).
///
/// # Errors
/// [`GradientShapeError`] when `dy` does not have the shape of the result (a sequence or map
/// result of another length or with other keys).
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let dy = Vector::<f64, U2>::from([10.0, 1.0]);
/// let (y, g) = vjp(|x| x * x, &x, dy)?;
/// assert_eq!((y, g), (Vector::from([1.0, 4.0]), Vector::from([20.0, 4.0])));
/// # Ok::<(), backprop::GradientShapeError>(())
/// ```
pub fn vjp<In, F, N>(f: F, x: &In, dy: N::Out) -> Result<(N::Out, In), GradientShapeError>
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
{
    let e = f(In::placeholder());
    with_forward(&e.0, x, |cache| {
        let y = e.0.value(x, cache);
        check_buffer(y, &dy)?;
        let g = fresh_gradient(&e.0, x, cache, || dy.clone());
        Ok((y.clone(), g))
    })
}

/// The full Jacobian at `x` of a function with a tensor result of `n` elements: `n` gradients,
/// one per element of the result (row `i` is the gradient of element `i`), each of the input's
/// type. For small shapes: it runs one backward pass per element.
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// let j = jacobian(|x| x * x.sum(), &x); // y_i = x_i (x_0 + x_1)
/// assert_eq!(j, vec![Vector::from([4.0, 1.0]), Vector::from([2.0, 5.0])]);
/// ```
pub fn jacobian<In, F, N>(f: F, x: &In) -> Vec<In>
where
    In: Input,
    F: FnOnce(Placeholders<In>) -> Ex<N>,
    N: Diff<In>,
    N::Out: crate::Tensor,
{
    use crate::Tensor;
    let e = f(In::placeholder());
    with_forward(&e.0, x, |cache| {
        let y = e.0.value(x, cache);
        (0..N::Out::LEN)
            .map(|i| {
                let mut dy = y.zero_like();
                dy.as_mut_slice()[i] = num_traits::One::one();
                fresh_gradient(&e.0, x, cache, || dy.clone())
            })
            .collect()
    })
}
