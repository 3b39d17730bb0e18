//! Data-parallel gradients: a batch split across threads (rayon's pool), each summing its share's
//! gradients into its own buffer ([`parallel_grad`]) or writing it ([`parallel_grad_into`]),
//! then the buffers added with [`Backprop::accumulate`].
//!
//! The split is into contiguous chunks, one per buffer, and the buffers are added in order, so
//! a result depends on the number of threads only through the order of floating-point additions.

use crate::Backprop;

/// Sums the loss and the gradient of `f` over `samples` on `buffers.len()` threads.
///
/// `f(params, chunk, grad)` must add the gradient of its chunk's loss into `grad` and return the
/// loss. Each buffer is first set to a zero shaped like `params` (whatever shape it had, so
/// buffers can start empty); on return `buffers[0]` holds the total gradient.
///
/// # Errors
/// [`NoBuffers`] when `buffers` is empty: there is nowhere to put the gradient (and `f` is not
/// called).
///
/// ```
/// use backprop::nn::parallel_grad;
/// use backprop::prelude::*;
/// let w = 2.0_f64;
/// let xs: Vec<f64> = (1..=10).map(f64::from).collect();
/// let mut buffers = [0.0, 0.0];
/// let loss = parallel_grad(&w, &xs, &mut buffers, |w, chunk, g| {
///     chunk.iter().map(|&x| value_and_grad_acc(|w| (w * x).powi(2), w, g).unwrap()).sum()
/// })?;
/// let sq: f64 = xs.iter().map(|x| x * x).sum();
/// assert_eq!((loss, buffers[0]), (4.0 * sq, 4.0 * sq));
/// # Ok::<(), backprop::nn::NoBuffers>(())
/// ```
pub fn parallel_grad<P, S, F>(
    params: &P,
    samples: &[S],
    buffers: &mut [P],
    f: F,
) -> Result<f64, NoBuffers>
where
    P: Backprop + Sync + Send,
    S: Sync,
    F: Fn(&P, &[S], &mut P) -> f64 + Sync,
{
    split(params, samples, buffers, f, zero_from)
}

/// [`parallel_grad`] for a gradient function that *writes* its gradient, as
/// [`value_and_grad_into`](crate::value_and_grad_into) does, rather than adding to it: the
/// buffers are not zeroed first (only given the parameters' shape if they lack it), which saves
/// each thread a pass over a buffer the size of the parameters.
///
/// `f(params, chunk, grad)` must overwrite every part of `grad` with the gradient of its chunk's
/// loss and return the loss; a function that adds instead would add to the previous call's
/// gradient. On return `buffers[0]` holds the total gradient.
///
/// # Errors
/// [`NoBuffers`] when `buffers` is empty (and `f` is not called).
///
/// ```
/// use backprop::nn::parallel_grad_into;
/// use backprop::prelude::*;
/// let w = 2.0_f64;
/// let xs: Vec<f64> = (1..=10).map(f64::from).collect();
/// let mut buffers = [7.0, 7.0]; // stale contents are overwritten
/// let loss = parallel_grad_into(&w, &xs, &mut buffers, |w, chunk, g| {
///     // The chunk's loss, sum((w x)^2) = w^2 sum(x^2), with its gradient written into `g`.
///     let sq: f64 = chunk.iter().map(|x| x * x).sum();
///     value_and_grad_into(|w| w.powi(2) * sq, w, g).unwrap()
/// })?;
/// let sq: f64 = xs.iter().map(|x| x * x).sum();
/// assert_eq!((loss, buffers[0]), (4.0 * sq, 4.0 * sq));
/// # Ok::<(), backprop::nn::NoBuffers>(())
/// ```
pub fn parallel_grad_into<P, S, F>(
    params: &P,
    samples: &[S],
    buffers: &mut [P],
    f: F,
) -> Result<f64, NoBuffers>
where
    P: Backprop + Sync + Send,
    S: Sync,
    F: Fn(&P, &[S], &mut P) -> f64 + Sync,
{
    split(params, samples, buffers, f, |g, params| {
        if !g.same_shape(params) {
            *g = params.zero_like();
        }
    })
}

/// Runs `f` on one contiguous chunk of `samples` per buffer (after `prepare(buffer, params)`),
/// then adds the buffers into the first, in chunk order.
fn split<P, S, F>(
    params: &P,
    samples: &[S],
    buffers: &mut [P],
    f: F,
    prepare: fn(&mut P, &P),
) -> Result<f64, NoBuffers>
where
    P: Backprop + Sync + Send,
    S: Sync,
    F: Fn(&P, &[S], &mut P) -> f64 + Sync,
{
    let Some((first, rest)) = buffers.split_first_mut() else {
        return Err(NoBuffers);
    };
    let per = samples.len().div_ceil(rest.len() + 1);
    let chunk =
        |k: usize| &samples[(k * per).min(samples.len())..((k + 1) * per).min(samples.len())];
    let f = &f;
    let mut losses = vec![0.0; rest.len()];
    let first_loss = rayon::scope(|s| {
        for (k, (g, loss)) in rest.iter_mut().zip(losses.iter_mut()).enumerate() {
            let part = chunk(k + 1);
            s.spawn(move |_| {
                prepare(g, params);
                *loss = f(params, part, g);
            });
        }
        prepare(first, params);
        f(params, chunk(0), first)
    });
    // Losses and gradients are added in chunk order, whichever thread finished first. (Adding
    // the buffers on two threads was tried: on these machines one thread already saturates
    // memory bandwidth there, and the split pass was slower.)
    let loss = losses.iter().fold(first_loss, |s, l| s + l);
    for g in rest.iter() {
        first.accumulate(g);
    }
    Ok(loss)
}

/// `g = 0` shaped like `params`: in place (no allocation, no page faults on a fresh block) when
/// `g` already has that shape, as it does from the second step on.
fn zero_from<P: Backprop>(g: &mut P, params: &P) {
    if g.same_shape(params) {
        g.set_zero();
    } else {
        *g = params.zero_like();
    }
}

/// [`parallel_grad`] was given no gradient buffer.
///
/// ```
/// use backprop::nn::{parallel_grad, NoBuffers};
/// let mut none: [f64; 0] = [];
/// let r = parallel_grad(&1.0_f64, &[1.0_f64], &mut none, |_, _, _| 1.0);
/// assert_eq!(r, Err(NoBuffers));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoBuffers;

impl core::fmt::Display for NoBuffers {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("parallel_grad needs at least one gradient buffer (one per thread)")
    }
}

impl std::error::Error for NoBuffers {}
