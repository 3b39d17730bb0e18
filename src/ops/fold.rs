//! Folding over a sequence of values (an array or a `Vec`): a stack of identical layers,
//! written once and run as a loop.
//!
//! `layers.fold(h0, |(h, layer)| body)` computes `h_{i+1} = body(h_i, layers[i])` and returns
//! `h_n`. Forward keeps, for each step, the step's inputs and the body's cache. Backward runs the
//! steps in reverse: `(dh_i, dlayer_i) = body'(h_i, layers[i])^T dh_{i+1}`, then `dh0 += dh_0` and
//! `dlayers[i] += dlayer_i`.
//!
//! The expression's type does not grow with the number of steps, so a network of 200 (or 2000)
//! layers compiles as fast as one of 2, within the default recursion limit, with small debug
//! symbols. The cost: each step copies its layer into the body's input, and the step caches live
//! in one `Vec`.

use core::mem::MaybeUninit;
use std::borrow::Cow;

use crate::expr::{
    forward_owned, init, reading, reading_and_writing, send, send_owned, slot, written, AtLeast,
    Diff, Ex, Expr, Frame, Input, MaxOf, Root, ScopeOf, S,
};
use crate::Backprop;

/// A sequence of values of one type: `[T; N]` or `Vec<T>`.
///
/// ```
/// use backprop::ops::fold::Sequence;
/// assert_eq!([1.0, 2.0].items(), &[1.0, 2.0]);
/// assert_eq!(vec![3.0].items(), &[3.0]);
/// ```
pub trait Sequence: Backprop {
    /// The element type.
    type Item: Backprop;
    /// The elements.
    fn items(&self) -> &[Self::Item];
    /// The elements, mutably.
    fn items_mut(&mut self) -> &mut [Self::Item];
}

impl<T: Backprop, const N: usize> Sequence for [T; N] {
    type Item = T;
    fn items(&self) -> &[T] {
        self
    }
    fn items_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T: Backprop> Sequence for Vec<T> {
    type Item = T;
    fn items(&self) -> &[T] {
        self
    }
    fn items_mut(&mut self) -> &mut [T] {
        self
    }
}

/// The node of a fold (built by [`Ex::fold`]).
///
/// ```
/// use backprop::prelude::*;
/// // h = (((1 * a0) * a1) * a2): a product as a fold
/// let xs = [2.0_f64, 3.0, 4.0];
/// let (y, g) = value_and_grad(|a| a.fold(constant(&1.0), |(h, x)| h * x), &xs);
/// assert_eq!((y, g), (24.0, [12.0, 8.0, 6.0]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Fold<A, I, R, K = Last> {
    seq: A,
    init: I,
    body: R,
    /// Which value the fold returns (zero-sized).
    _kind: K,
}

impl<A, I, R, K> Fold<A, I, R, K> {
    /// A fold whose body was built elsewhere (the models of [`nn`](crate::nn), which name the
    /// body's placeholders themselves).
    #[inline(always)]
    pub(crate) fn new(seq: A, init: I, body: R, kind: K) -> Self {
        Fold {
            seq,
            init,
            body,
            _kind: kind,
        }
    }
}

/// What a fold returns: the last carried value ([`Last`], [`Ex::fold`]) or every step's
/// ([`All`], [`Ex::scan`]).
pub trait FoldKind: Copy + 'static {
    /// The fold's value, from the carried values `h_1..h_n` (and `h_0` when `n = 0`).
    type Out<H: Backprop>: Backprop;
    /// What is kept of the carried values during the forward pass.
    type Kept<H: Backprop>;
    /// Nothing kept yet, for `n` steps.
    fn start<H: Backprop>(n: usize) -> Self::Kept<H>;
    /// Keeps `h_t`.
    fn keep<H: Backprop>(kept: &mut Self::Kept<H>, h: &H);
    /// The value, from what was kept and the last carried value.
    fn finish<H: Backprop>(kept: Self::Kept<H>, last: H) -> Self::Out<H>;
    /// The gradient of the last carried value `h_n`, from the gradient of the value (`init`
    /// gives the shape when there is no step; `last` computes `h_n`, needed only then).
    fn last_grad<H: Backprop>(dy: &Self::Out<H>, last: impl FnOnce() -> H) -> H;
    /// Adds the part of the value's gradient that reads `h_t` directly (for `t < n`) into `dh`.
    fn add_step_grad<H: Backprop>(dy: &Self::Out<H>, t: usize, dh: &mut H);
}

/// A fold's value is its last carried value.
#[derive(Clone, Copy, Debug, Default)]
pub struct Last;

impl FoldKind for Last {
    type Out<H: Backprop> = H;
    type Kept<H: Backprop> = ();
    #[inline(always)]
    fn start<H: Backprop>(_: usize) {}
    #[inline(always)]
    fn keep<H: Backprop>(_: &mut (), _: &H) {}
    #[inline(always)]
    fn finish<H: Backprop>(_: (), last: H) -> H {
        last
    }
    #[inline(always)]
    fn last_grad<H: Backprop>(dy: &H, _: impl FnOnce() -> H) -> H {
        dy.clone()
    }
    #[inline(always)]
    fn add_step_grad<H: Backprop>(_: &H, _: usize, _: &mut H) {}
}

/// A scan's value is every step's carried value, `[h_1, .., h_n]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct All;

impl FoldKind for All {
    type Out<H: Backprop> = Vec<H>;
    type Kept<H: Backprop> = Vec<H>;
    #[inline(always)]
    fn start<H: Backprop>(n: usize) -> Vec<H> {
        Vec::with_capacity(n)
    }
    #[inline(always)]
    fn keep<H: Backprop>(kept: &mut Vec<H>, h: &H) {
        kept.push(h.clone());
    }
    #[inline(always)]
    fn finish<H: Backprop>(kept: Vec<H>, _: H) -> Vec<H> {
        kept
    }
    #[inline(always)]
    fn last_grad<H: Backprop>(dy: &Vec<H>, last: impl FnOnce() -> H) -> H {
        dy.last().cloned().unwrap_or_else(|| last().zero_like())
    }
    #[inline(always)]
    fn add_step_grad<H: Backprop>(dy: &Vec<H>, t: usize, dh: &mut H) {
        // h_t is output t - 1 (outputs start at h_1).
        if let Some(d) = t.checked_sub(1).and_then(|i| dy.get(i)) {
            dh.accumulate(d);
        }
    }
}

/// What a fold's body reads at one step: the carried value and one element.
type Step<A, I> = (<I as Expr>::Out, <<A as Expr>::Out as Sequence>::Item);

/// The input of a fold's body: its step, in a frame over the enclosing input.
type StepIn<A, I, In> = Frame<S<MaxOf<<A as Expr>::Depth, <I as Expr>::Depth>>, In, Step<A, I>>;

impl<A: Expr> Ex<A>
where
    A::Out: Sequence,
{
    /// Folds `body` over the elements of this sequence, starting from `init`: `body` receives
    /// placeholders for the value carried so far and for one element, and returns the next
    /// carried value (of the same type).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// use backprop::ops::map::Tanh;
    /// type Layer = (Matrix<f64, U2, U2>, Vector<f64, U2>);
    /// let layers: Vec<Layer> = (0..50)
    ///     .map(|i| (Matrix::filled(0.1 * (i % 3) as f64), Vector::filled(0.01)))
    ///     .collect();
    /// let x = Vector::<f64, U2>::from([0.5, -0.5]);
    /// // a 50-layer network; the expression type is the same for 5 or 5000 layers
    /// let loss = |ls: Placeholders<Vec<Layer>>| {
    ///     ls.fold(constant(&x), |(h, (w, b))| h.dense(w, b, Tanh)).sum()
    /// };
    /// assert!(check_grad(loss, &layers, 1e-6).passed(1e-6));
    /// ```
    #[inline(always)]
    pub fn fold<I, F, R>(self, init: Ex<I>, body: F) -> Ex<Fold<A, I, R>>
    where
        I: Expr,
        (I::Out, <A::Out as Sequence>::Item): Input,
        F: FnOnce(
            <(I::Out, <A::Out as Sequence>::Item) as Input>::Ph<Root<S<MaxOf<A::Depth, I::Depth>>>>,
        ) -> Ex<R>,
        R: Expr<Out = I::Out>,
    {
        self.fold_kind(init, body, Last)
    }

    /// Like [`fold`](Ex::fold), but the value is every step's carried value, `[h_1, .., h_n]`
    /// (an empty `Vec` for an empty sequence): for sequence-to-sequence losses. Backward adds
    /// each step's own gradient to the one flowing back from the later steps.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// // running sums of w x_t, and a loss on all of them
    /// let xs = vec![1.0_f64, 2.0, 3.0];
    /// let (y, g) = value_and_grad(|w| constant(&xs).scan(constant(&0.0), |(h, x)| h + w * x), &2.0);
    /// assert_eq!(y, vec![2.0, 6.0, 12.0]);
    /// assert_eq!(g, 1.0 + 3.0 + 6.0); // the seed is one for each output
    /// ```
    #[inline(always)]
    pub fn scan<I, F, R>(self, init: Ex<I>, body: F) -> Ex<Fold<A, I, R, All>>
    where
        I: Expr,
        (I::Out, <A::Out as Sequence>::Item): Input,
        F: FnOnce(
            <(I::Out, <A::Out as Sequence>::Item) as Input>::Ph<Root<S<MaxOf<A::Depth, I::Depth>>>>,
        ) -> Ex<R>,
        R: Expr<Out = I::Out>,
    {
        self.fold_kind(init, body, All)
    }

    /// [`fold`](Ex::fold) and [`scan`](Ex::scan), by the kind of value.
    #[inline(always)]
    fn fold_kind<I, F, R, K>(self, init: Ex<I>, body: F, kind: K) -> Ex<Fold<A, I, R, K>>
    where
        I: Expr,
        (I::Out, <A::Out as Sequence>::Item): Input,
        F: FnOnce(
            <(I::Out, <A::Out as Sequence>::Item) as Input>::Ph<Root<S<MaxOf<A::Depth, I::Depth>>>>,
        ) -> Ex<R>,
        R: Expr<Out = I::Out>,
    {
        let ph = <(I::Out, <A::Out as Sequence>::Item) as Input>::placeholder();
        Ex(Fold {
            seq: self.0,
            init: init.0,
            body: body(ph).0,
            _kind: kind,
        })
    }
}

impl<A: Expr, I: Expr, R: Expr<Out = I::Out>, K: FoldKind> Expr for Fold<A, I, R, K>
where
    A::Out: Sequence,
{
    type Out = K::Out<I::Out>;
    type Depth = MaxOf<A::Depth, I::Depth>;
    crate::expr::seal!();
    // The body may read placeholders of enclosing closures (the weights of a recurrent
    // layer): it needs a backward pass whenever it has a leaf that wants a gradient.
    const NEEDS_GRAD: bool = R::NEEDS_GRAD;
}

impl<In, A, I, R, K> Diff<In> for Fold<A, I, R, K>
where
    K: FoldKind,
    In: ScopeOf,
    A: Diff<In>,
    A::Out: Sequence,
    I: Diff<In>,
    MaxOf<A::Depth, I::Depth>: AtLeast<In::Depth>,
    R: Diff<StepIn<A, I, In>, Out = I::Out>,
    Step<A, I>: Backprop,
{
    /// The sequence's and the initial value's caches, each step's input and cache, the value.
    type Cache = (
        A::Cache,
        I::Cache,
        Vec<(Step<A, I>, R::Cache)>,
        K::Out<I::Out>,
    );

    crate::expr::seal!();
    fn forward(&self, x: &In, cache: &mut MaybeUninit<Self::Cache>) {
        let p = cache.as_mut_ptr();
        let (ca, ci) = (slot!(p, 0), slot!(p, 1));
        self.seq.forward(x, ca);
        let ga = written!(p, 0);
        self.init.forward(x, ci);
        let gi = written!(p, 1);
        let items = self.seq.value(x, init(ca)).items();
        let mut h = self.init.value(x, init(ci)).clone();
        let mut steps = Vec::with_capacity(items.len());
        let mut kept = K::start(items.len());
        for item in items {
            let step = (h, item.clone());
            let c = reading(x, &step, |frame| forward_owned(&self.body, frame));
            h = reading(x, &step, |frame| self.body.value(frame, &c).clone());
            K::keep(&mut kept, &h);
            steps.push((step, c));
        }
        let value = K::finish(kept, h);
        slot!(p, 2).write(steps);
        slot!(p, 3).write(value);
        ga.disarm();
        gi.disarm();
    }

    fn value<'a>(&'a self, _: &'a In, c: &'a Self::Cache) -> &'a Self::Out {
        &c.3
    }

    fn backward(&self, x: &In, c: &Self::Cache, dy: Self::Out, dx: &mut In) {
        if !Self::NEEDS_GRAD {
            return;
        }
        let last = || match c.2.last() {
            Some((step, cache)) => reading(x, step, |frame| self.body.value(frame, cache).clone()),
            None => self.init.value(x, &c.1).clone(),
        };
        let mut dh = K::last_grad(&dy, last);
        let mut ditems = Vec::with_capacity(if A::NEEDS_GRAD { c.2.len() } else { 0 });
        for (t, (step, cache)) in c.2.iter().enumerate().rev() {
            let mut dstep = step.zero_like();
            reading_and_writing(x, step, dx, &mut dstep, |frame, grad| {
                self.body.backward(frame, cache, dh, grad)
            });
            let (mut dprev, ditem) = dstep;
            // h_t (the input of step t) is also output t of a scan.
            K::add_step_grad(&dy, t, &mut dprev);
            if A::NEEDS_GRAD {
                ditems.push(ditem);
            }
            dh = dprev;
        }
        send(&self.seq, x, &c.0, dx, |g| {
            for (gi, di) in g.items_mut().iter_mut().zip(ditems.iter().rev()) {
                gi.accumulate(di);
            }
        });
        if I::NEEDS_GRAD {
            send_owned(&self.init, x, &c.1, dx, dh)
        }
    }

    fn eval<'a>(&'a self, x: &'a In) -> Cow<'a, Self::Out> {
        let items = self.seq.eval(x);
        let mut h = self.init.eval(x).into_owned();
        let mut kept = K::start(items.items().len());
        for item in items.items() {
            let step = (h, item.clone());
            h = reading(x, &step, |frame| self.body.eval(frame).into_owned());
            K::keep(&mut kept, &h);
        }
        Cow::Owned(K::finish(kept, h))
    }
}

/// Second order: each step's tangent runs the body's tangent passes over `(ḣ_i, ẋ_i)` (zero
/// for a constant sequence or initial value); backward runs the steps in reverse with both
/// seeds, `dḣ` flowing back like `dh`.
impl<In, A, I, R, K> crate::tangent::Tangent<In> for Fold<A, I, R, K>
where
    K: FoldKind,
    In: ScopeOf,
    A: crate::tangent::Tangent<In>,
    A::Out: Sequence,
    I: crate::tangent::Tangent<In>,
    MaxOf<A::Depth, I::Depth>: AtLeast<In::Depth>,
    R: crate::tangent::Tangent<StepIn<A, I, In>, Out = I::Out>,
    Step<A, I>: Backprop,
{
    /// The sequence's and the initial value's, each step's tangent input and tangent cache,
    /// and the result's tangent.
    type TCache = (
        A::TCache,
        I::TCache,
        Vec<(Step<A, I>, R::TCache)>,
        K::Out<I::Out>,
    );
    crate::expr::seal!();

    fn tangent(&self, x: &In, t: &In, c: &Self::Cache) -> Self::TCache {
        let ta = self.seq.tangent(x, t, &c.0);
        let ti = self.init.tangent(x, t, &c.1);
        let items_t = self.seq.tvalue(t, &ta).map(|s| s.items());
        let h0 = self.init.value(x, &c.1);
        let mut ht = match self.init.tvalue(t, &ti) {
            Some(v) => v.clone(),
            None => h0.zero_like(),
        };
        let mut steps = Vec::with_capacity(c.2.len());
        let mut kept = K::start(c.2.len());
        for (i, (step, cache)) in c.2.iter().enumerate() {
            let item_t = match items_t.and_then(|s| s.get(i)) {
                Some(v) => v.clone(),
                None => step.1.zero_like(),
            };
            let step_t = (ht, item_t);
            let (tc, next) = reading(x, step, |fx| {
                reading(t, &step_t, |ft| {
                    let tc = self.body.tangent(fx, ft, cache);
                    let next = self.body.tvalue(ft, &tc).cloned();
                    (tc, next)
                })
            });
            ht = next.unwrap_or_else(|| step.0.zero_like());
            K::keep(&mut kept, &ht);
            steps.push((step_t, tc));
        }
        let out = K::finish(kept, ht);
        (ta, ti, steps, out)
    }

    fn tvalue<'a>(&'a self, _: &'a In, tc: &'a Self::TCache) -> Option<&'a Self::Out> {
        Some(&tc.3)
    }

    fn backward_tangent(
        &self,
        x: &In,
        t: &In,
        c: &Self::Cache,
        tc: &Self::TCache,
        dy: Self::Out,
        dyt: Option<Self::Out>,
        g: &mut In,
        gt: &mut In,
    ) {
        if !Self::NEEDS_GRAD {
            return;
        }
        let last = || match c.2.last() {
            Some((step, cache)) => reading(x, step, |frame| self.body.value(frame, cache).clone()),
            None => self.init.value(x, &c.1).clone(),
        };
        let mut dh = K::last_grad(&dy, last);
        let mut dht = match &dyt {
            Some(d) => K::last_grad(d, last),
            None => last().zero_like(),
        };
        let n = if A::NEEDS_GRAD { c.2.len() } else { 0 };
        let (mut ditems, mut ditems_t) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (i, ((step, cache), (step_t, tcache))) in c.2.iter().zip(&tc.2).enumerate().rev() {
            let (mut dstep, mut dstep_t) = (step.zero_like(), step.zero_like());
            reading_and_writing(x, step, g, &mut dstep, |fx, gx| {
                reading_and_writing(t, step_t, gt, &mut dstep_t, |ft, gtf| {
                    self.body
                        .backward_tangent(fx, ft, cache, tcache, dh, Some(dht), gx, gtf)
                })
            });
            let ((mut dprev, ditem), (mut dprev_t, ditem_t)) = (dstep, dstep_t);
            K::add_step_grad(&dy, i, &mut dprev);
            if let Some(d) = &dyt {
                K::add_step_grad(d, i, &mut dprev_t);
            }
            if A::NEEDS_GRAD {
                ditems.push(ditem);
                ditems_t.push(ditem_t);
            }
            dh = dprev;
            dht = dprev_t;
        }
        let add_items = |s: &mut A::Out, first: bool, d: &[<A::Out as Sequence>::Item]| {
            if first {
                s.set_zero();
            }
            for (gi, di) in s.items_mut().iter_mut().zip(d.iter().rev()) {
                gi.accumulate(di);
            }
        };
        crate::tangent::send_tangent(
            &self.seq,
            x,
            t,
            &c.0,
            &tc.0,
            g,
            gt,
            |s, first| add_items(s, first, &ditems),
            true,
            |s, first| add_items(s, first, &ditems_t),
        );
        let deliver = |s: &mut I::Out, first: bool, d: I::Out| {
            if first {
                *s = d;
            } else {
                s.accumulate(&d);
            }
        };
        crate::tangent::send_tangent(
            &self.init,
            x,
            t,
            &c.1,
            &tc.1,
            g,
            gt,
            |s, first| deliver(s, first, dh),
            true,
            |s, first| deliver(s, first, dht),
        );
    }
}
