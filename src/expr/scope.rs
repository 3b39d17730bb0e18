//! Scope depths and frames: how a placeholder of any enclosing closure finds its value inside a
//! body (`.then`, `fold`, `map_items`, `map_values`).
//!
//! Top-level placeholders have depth [`Z`]; a body gets placeholders of depth `S<d>`, where `d`
//! is the deepest depth in what it binds, and runs on a [`Frame`] of that depth: two pointers, to
//! the body's own value and to the enclosing input (itself a frame for a nested body). A
//! placeholder of depth `E` walks out through the frames until one has depth `E` ([`SameDepth`]),
//! or reaches the top-level input for `Z`, so every enclosing placeholder is read in place and
//! its gradient, through a gradient frame, lands in the enclosing gradient.
//!
//! Depths along a chain of frames must grow, or a body's placeholders would be taken for an
//! enclosing body's: a body written inside another body must bind something of that body
//! ([`AtLeast`], a compile error that says so). Marking scopes by the bound expression's own
//! type instead was measured far slower to compile; depth markers are cheap.

use core::marker::PhantomData;

/// Depth zero: the top-level closure's scope.
///
/// ```
/// use backprop::expr::internal::{Depth, Z};
/// assert_eq!(Z::N, 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Z;

/// One scope deeper than `D`.
///
/// ```
/// use backprop::expr::internal::{Depth, S, Z};
/// assert_eq!(<S<Z> as Depth>::N, 1);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct S<D>(PhantomData<D>);

/// A scope depth: [`Z`] or [`S`].
///
/// ```
/// use backprop::expr::internal::{Depth, MaxOf, S, Z};
/// assert_eq!(<S<S<Z>> as Depth>::N, 2);
/// assert_eq!(<MaxOf<S<Z>, S<S<Z>>> as Depth>::N, 2);
/// ```
pub trait Depth: Copy + 'static {
    /// Seals the trait (scopes are this crate's).
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
    /// The depth as a number.
    const N: usize;
    /// `max(Self, R)`.
    type Max<R: Depth>: Depth;
    /// `max(S<D>, Self)` (a helper for [`Depth::Max`]).
    type MaxWithS<D: Depth>: Depth;
}
impl Depth for Z {
    super::seal!();
    const N: usize = 0;
    type Max<R: Depth> = R;
    type MaxWithS<D: Depth> = S<D>;
}
impl<D: Depth> Depth for S<D> {
    super::seal!();
    const N: usize = D::N + 1;
    type Max<R: Depth> = R::MaxWithS<D>;
    type MaxWithS<E: Depth> = S<D::Max<E>>;
}

/// The larger of two depths.
///
/// ```
/// use backprop::expr::internal::{Depth, MaxOf, S, Z};
/// assert_eq!(<MaxOf<S<S<Z>>, S<Z>> as Depth>::N, 2);
/// ```
pub type MaxOf<A, B> = <A as Depth>::Max<B>;

/// The input of a body (of `.then`, `fold`, `map_items`, `map_values`) at scope depth `D`: the
/// body's own value `I` and, behind it, the input `O` of the enclosing scope (itself a `Frame`
/// for a nested body). Placeholders of the body locate in `I`; placeholders of every enclosing
/// closure locate through `O`, in place: nothing of the enclosing input is copied, and a
/// gradient frame writes their gradients straight into the enclosing gradient.
///
/// A frame holds two raw pointers and lives only for the duration of one call of a body's
/// `forward`, `value`, `backward` or `eval`, built by the engine from references that outlive
/// it. It has no public constructor.
pub struct Frame<D, O, I> {
    outer: *mut O,
    inner: *mut I,
    /// Built from `&mut` references: only a writable frame may hand out `&mut`.
    writable: bool,
    _depth: PhantomData<D>,
}

impl<D, O, I> Frame<D, O, I> {
    /// A frame for reading.
    ///
    /// # Safety
    /// The frame must not outlive `outer` or `inner`, and must only be passed by shared
    /// reference (as a body's input `x`, never as its gradient `dx`).
    #[inline(always)]
    pub(crate) unsafe fn new(outer: &O, inner: &I) -> Self {
        Frame {
            outer: outer as *const O as *mut O,
            inner: inner as *const I as *mut I,
            writable: false,
            _depth: PhantomData,
        }
    }

    /// A frame for writing gradients.
    ///
    /// # Safety
    /// The frame must not outlive `outer` or `inner`, and neither may be used otherwise while
    /// the frame lives.
    #[inline(always)]
    pub(crate) unsafe fn new_mut(outer: &mut O, inner: &mut I) -> Self {
        Frame {
            outer,
            inner,
            writable: true,
            _depth: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn outer(&self) -> &O {
        // SAFETY: `new`/`new_mut`'s contract: the pointee outlives the frame.
        unsafe { &*self.outer }
    }

    #[inline(always)]
    pub(crate) fn inner(&self) -> &I {
        // SAFETY: as in `outer`.
        unsafe { &*self.inner }
    }

    #[inline(always)]
    pub(crate) fn outer_mut(&mut self) -> &mut O {
        debug_assert!(self.writable, "a reading frame used as a gradient");
        // SAFETY: a writable frame was built from `&mut` references that nothing else uses
        // while it lives (`new_mut`'s contract), and `&mut self` makes this borrow unique.
        unsafe { &mut *self.outer }
    }

    #[inline(always)]
    pub(crate) fn inner_mut(&mut self) -> &mut I {
        debug_assert!(self.writable, "a reading frame used as a gradient");
        // SAFETY: as in `outer_mut`.
        unsafe { &mut *self.inner }
    }
}

/// Runs `k` on a reading frame over `outer` and `inner` (the frame lives only inside the call).
#[inline(always)]
pub(crate) fn reading<D, O, I, R>(outer: &O, inner: &I, k: impl FnOnce(&Frame<D, O, I>) -> R) -> R {
    // SAFETY: the frame lives only inside this call, within both borrows, and `k` gets it by
    // shared reference only.
    let frame = unsafe { Frame::new(outer, inner) };
    k(&frame)
}

/// Runs `k` on a reading frame over (`x`, `inner`) and a gradient frame over (`dx`, `dinner`).
#[inline(always)]
pub(crate) fn reading_and_writing<D, O, I, R>(
    x: &O,
    inner: &I,
    dx: &mut O,
    dinner: &mut I,
    k: impl FnOnce(&Frame<D, O, I>, &mut Frame<D, O, I>) -> R,
) -> R {
    // SAFETY: both frames live only inside this call, within the borrows they were built from;
    // `dx` and `dinner` are reborrowed mutably for that time, so nothing else uses them.
    let (frame, mut grad) = unsafe { (Frame::new(x, inner), Frame::new_mut(dx, dinner)) };
    k(&frame, &mut grad)
}

/// A value a body computed, read through a frame, given the lifetime of what the frame points
/// to.
///
/// # Safety
/// `r` must point into data that lives for `'a` (the frame's pointees, the node, its cache),
/// never into the frame itself. Every node's `value` satisfies this: placeholders read through
/// the frame's pointers, other nodes return their cache or their own constants.
#[inline(always)]
pub(crate) unsafe fn through_frame<'a, T>(r: &T) -> &'a T {
    // SAFETY: the caller's contract.
    unsafe { &*(r as *const T) }
}

/// Type-level answers of [`SameDepth`].
#[derive(Clone, Copy, Debug)]
pub struct Yes;
/// Type-level answers of [`SameDepth`].
#[derive(Clone, Copy, Debug)]
pub struct No;

/// Whether two depths are equal ([`Yes`] or [`No`]).
pub trait SameDepth<D> {
    /// The answer.
    type Is;
    /// Seals the trait.
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
}
impl SameDepth<Z> for Z {
    type Is = Yes;
    super::seal!();
}
impl<D> SameDepth<S<D>> for Z {
    type Is = No;
    super::seal!();
}
impl<D> SameDepth<Z> for S<D> {
    type Is = No;
    super::seal!();
}
impl<D: SameDepth<E>, E> SameDepth<S<E>> for S<D> {
    type Is = D::Is;
    super::seal!();
}

/// The depth of the innermost scope of an input: `Z` for a closure's own input, `D` for a
/// [`Frame`] of depth `D`.
pub trait ScopeOf {
    /// The depth.
    type Depth: Depth;
    /// Seals the trait.
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
}
impl<T: super::Input> ScopeOf for T {
    type Depth = Z;
    super::seal!();
}
impl<D: Depth, O, I> ScopeOf for Frame<D, O, I> {
    type Depth = D;
    super::seal!();
}

/// `Self >= C` for depths: a new body's depth (one more than its bound expression's) must be
/// deeper than the scope it is written in, or its placeholders would be taken for the
/// enclosing body's.
#[diagnostic::on_unimplemented(
    message = "this `.then`, `fold`, `map_items` or `map_values` is written inside another body but binds only values of enclosing scopes",
    label = "include one of the enclosing body's own placeholders in what it binds (for constants: `constant(&data).within(h)` with `h` a placeholder of the enclosing body), or move it out of the body"
)]
pub trait AtLeast<C> {
    /// Seals the trait.
    #[doc(hidden)]
    const SEALED: super::sealed::Token;
}
impl<D> AtLeast<Z> for D {
    super::seal!();
}
impl<D: AtLeast<C>, C> AtLeast<S<C>> for S<D> {
    super::seal!();
}

/// An expression moved into the scope of another: the value of `A`, at the scope depth of
/// `A` and `B` together (built by [`Ex::within`](crate::Ex::within)). `B` is never computed.
#[derive(Clone, Copy, Debug)]
pub struct Within<A, B> {
    a: A,
    _anchor: PhantomData<fn() -> B>,
}

impl<A: super::Expr> super::Ex<A> {
    /// This expression, counted as belonging to the body where `anchor` lives. A body written
    /// inside another body must bind something of the enclosing body (else its placeholders
    /// could not be told apart from the enclosing body's); when all it binds is data of
    /// enclosing scopes (constants), mark one of them with any placeholder of the enclosing
    /// body. Nothing changes in what is computed.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let (xs, ys) = (vec![1.0_f64, 2.0], vec![0.5_f64, -0.5]);
    /// // an inner fold over constants inside the outer fold's body, anchored to its `h`
    /// let f = |w: Placeholders<f64>| {
    ///     constant(&xs).fold(w, |(h, x)| {
    ///         constant(&ys).within(h).fold(constant(&0.0), |(g, y)| g + y * x * w) + h
    ///     })
    /// };
    /// assert!(check_grad(f, &0.7_f64, 1e-6).passed(1e-8));
    /// ```
    #[inline(always)]
    pub fn within<B: super::Expr>(self, anchor: super::Ex<B>) -> super::Ex<Within<A, B>> {
        let _ = anchor;
        super::Ex(Within {
            a: self.0,
            _anchor: PhantomData,
        })
    }
}

impl<A: super::Expr, B: super::Expr> super::Expr for Within<A, B> {
    type Out = A::Out;
    type Depth = MaxOf<A::Depth, B::Depth>;
    super::seal!();
    const NEEDS_GRAD: bool = A::NEEDS_GRAD;
    const OVERWRITE: bool = A::OVERWRITE;
}

impl<In, A: super::Diff<In>, B: super::Expr> super::Diff<In> for Within<A, B> {
    type Cache = A::Cache;
    super::seal!();
    #[inline(always)]
    fn forward(&self, x: &In, cache: &mut core::mem::MaybeUninit<A::Cache>) {
        self.a.forward(x, cache)
    }
    #[inline(always)]
    fn value<'a>(&'a self, x: &'a In, cache: &'a A::Cache) -> &'a A::Out {
        self.a.value(x, cache)
    }
    #[inline(always)]
    fn backward(&self, x: &In, cache: &A::Cache, dy: A::Out, dx: &mut In) {
        self.a.backward(x, cache, dy, dx)
    }
    #[inline(always)]
    fn eval<'a>(&'a self, x: &'a In) -> std::borrow::Cow<'a, A::Out> {
        self.a.eval(x)
    }
    #[inline(always)]
    fn grad_slot<'a>(&self, dx: &'a mut In) -> Option<&'a mut A::Out> {
        self.a.grad_slot(dx)
    }
}

impl<In, A: crate::tangent::Tangent<In>, B: super::Expr> crate::tangent::Tangent<In>
    for Within<A, B>
{
    type TCache = A::TCache;
    super::seal!();
    #[inline(always)]
    fn tangent(&self, x: &In, t: &In, c: &A::Cache) -> A::TCache {
        self.a.tangent(x, t, c)
    }
    #[inline(always)]
    fn tvalue<'a>(&'a self, t: &'a In, tc: &'a A::TCache) -> Option<&'a A::Out> {
        self.a.tvalue(t, tc)
    }
    #[inline(always)]
    fn backward_tangent(
        &self,
        x: &In,
        t: &In,
        c: &A::Cache,
        tc: &A::TCache,
        dy: A::Out,
        dyt: Option<A::Out>,
        g: &mut In,
        gt: &mut In,
    ) {
        self.a.backward_tangent(x, t, c, tc, dy, dyt, g, gt)
    }
}
