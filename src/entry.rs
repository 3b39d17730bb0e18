//! Entry points: run a closure over placeholders forward, backward, or both.
//!
//! Each is a free function with trait bounds (not a method), so that a shape error in the
//! closure is reported at the closure, with the crate's own messages.
//!
//! The closure runs once per call to build the expression (zero-sized placeholders and borrowed
//! constants: nothing is computed and nothing is allocated); then the expression runs.

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
    let mut g = x.zero_like();
    let e = f(In::placeholder());
    let y = with_forward(&e.0, x, |cache| {
        let y = e.0.value(x, cache).clone();
        e.0.backward(x, cache, y.one_like(), &mut g);
        y
    });
    (y, g)
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
        e.0.backward(x, cache, y.one_like(), g);
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
        let mut g = x.zero_like();
        e.0.backward(x, cache, dy, &mut g);
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
                let mut g = x.zero_like();
                e.0.backward(x, cache, dy, &mut g);
                g
            })
            .collect()
    })
}
