//! A runtime tape: reverse mode with a Wengert list, for computations whose shape depends on
//! values (loops and branches on data), and as the baseline the static engine is measured
//! against.
//!
//! Values keep their static types ([`Var<X>`] knows `X`, so a shape error is still a compile
//! error) and every operation is the static engine's own ([`UnaryOp`]/[`BinaryOp`] with the same
//! kernels); what the tape adds is the bookkeeping: each operation pushes its result and a
//! boxed backward step, and [`Tape::gradient`] runs the steps in reverse.
//!
//! ```
//! use backprop::tape::Tape;
//! let tape = Tape::new();
//! let x = tape.var(0.5_f64);
//! // a loop whose length depends on the value: Newton steps for sqrt(2), from x
//! let mut y = x;
//! while (y.value() * y.value() - 2.0).abs() > 1e-12 {
//!     y = (y + tape.constant(2.0) / y) * 0.5;
//! }
//! assert!((y.value() - 2.0_f64.sqrt()).abs() < 1e-12);
//! assert!(tape.gradient(y, x).abs() < 1e-6); // the fixed point does not depend on the start
//! ```

use core::any::Any;
use core::cell::RefCell;
use core::marker::PhantomData;

use crate::ops::elementwise::{Add, Div, Mul, Sub, Zip};
use crate::ops::linalg::{Dot, MatVec};
use crate::ops::loss::SoftmaxCrossEntropy;
use crate::ops::map::{Cos, ElemFn, Exp, Ln, Logistic, Powi, Relu, Sin, Tanh};
use crate::ops::reduce::Sum;
use crate::ops::{BinaryOp, UnaryOp};
use crate::shape::{DotShape, MatVecShape, VectorLossShape};
use crate::{Backprop, Tensor};

/// A backward step: given every value, the index of its own node and the gradients so far, adds
/// its node's gradient into its inputs' gradients.
type Step = Box<dyn Fn(&[Box<dyn Any>], usize, &mut [Option<Box<dyn Any>>])>;

/// The tape: the values computed so far and their backward steps.
#[derive(Default)]
pub struct Tape {
    values: RefCell<Vec<Box<dyn Any>>>,
    steps: RefCell<Vec<Option<Step>>>,
}

/// A value on a tape, of static type `X`.
pub struct Var<'t, X> {
    tape: &'t Tape,
    index: usize,
    _x: PhantomData<fn() -> X>,
}

impl<X> Clone for Var<'_, X> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<X> Copy for Var<'_, X> {}

impl Tape {
    /// An empty tape.
    ///
    /// ```
    /// assert_eq!(backprop::tape::Tape::new().len(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of values on the tape.
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let _ = t.var(1.0_f64);
    /// assert_eq!(t.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.values.borrow().len()
    }

    /// True when the tape holds no value.
    ///
    /// ```
    /// assert!(backprop::tape::Tape::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every value, keeping the tape's storage for the next computation.
    ///
    /// ```
    /// let mut t = backprop::tape::Tape::new();
    /// let _ = t.var(1.0_f64);
    /// t.clear();
    /// assert!(t.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.values.get_mut().clear();
        self.steps.get_mut().clear();
    }

    /// Forgets every value after the first `len`: parameters put on the tape first stay on it
    /// (and are not copied again) while each step's computation is recorded anew.
    ///
    /// ```
    /// let mut t = backprop::tape::Tape::new();
    /// t.var(3.0_f64); // the parameter, at position 0
    /// for x in [1.0, 2.0] {
    ///     t.truncate(1);
    ///     let w = t.first::<f64>();
    ///     let y = w * x;
    ///     assert_eq!(t.gradient(y, w), x);
    /// }
    /// ```
    pub fn truncate(&mut self, len: usize) {
        self.values.get_mut().truncate(len);
        self.steps.get_mut().truncate(len);
    }

    /// The value at position `index` on the tape as a `Var` (the positions of values put on the
    /// tape first are 0, 1, ...).
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let _ = t.var(1.0_f64);
    /// let _ = t.var(2.0_f64);
    /// assert_eq!(t.at::<f64>(1).value(), 2.0);
    /// ```
    pub fn at<X: Backprop + 'static>(&self, index: usize) -> Var<'_, X> {
        assert!(
            self.values.borrow().get(index).is_some_and(|v| v.is::<X>()),
            "no value of this type at position {index}"
        );
        Var {
            tape: self,
            index,
            _x: PhantomData,
        }
    }

    /// The first value on the tape (see [`Tape::at`]).
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let _ = t.var(7.0_f64);
    /// assert_eq!(t.first::<f64>().value(), 7.0);
    /// ```
    pub fn first<X: Backprop + 'static>(&self) -> Var<'_, X> {
        self.at(0)
    }

    fn push<X: Backprop + 'static>(&self, value: X, step: Option<Step>) -> Var<'_, X> {
        let mut values = self.values.borrow_mut();
        values.push(Box::new(value));
        self.steps.borrow_mut().push(step);
        Var {
            tape: self,
            index: values.len() - 1,
            _x: PhantomData,
        }
    }

    /// An input: a value whose gradient can be asked for.
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let x = t.var(3.0_f64);
    /// assert_eq!(t.gradient(x * x, x), 6.0);
    /// ```
    pub fn var<X: Backprop + 'static>(&self, value: X) -> Var<'_, X> {
        self.push(value, None)
    }

    /// A constant: the same as [`Tape::var`]; its gradient is simply never asked for.
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let (x, c) = (t.var(3.0_f64), t.constant(2.0));
    /// assert_eq!(t.gradient(x * c, x), 2.0);
    /// ```
    pub fn constant<X: Backprop + 'static>(&self, value: X) -> Var<'_, X> {
        self.push(value, None)
    }

    /// The gradient of `output` with respect to `wrt` (seeded with ones, as
    /// [`value_and_grad`](crate::value_and_grad) does).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let v = t.var(Vector::<f64, U2>::from([1.0, 2.0]));
    /// assert_eq!(t.gradient(v.dot(v), v), Vector::from([2.0, 4.0]));
    /// ```
    #[track_caller]
    pub fn gradient<Y: Backprop + 'static, X: Backprop + 'static>(
        &self,
        output: Var<'_, Y>,
        wrt: Var<'_, X>,
    ) -> X {
        check_same_tape(self, &wrt, "the variable to differentiate by");
        self.backward(output).take(wrt)
    }

    /// Runs every backward step once, in reverse, from `output` (seeded with ones): the
    /// gradients of every value on the tape, to take out with [`Gradients::take`].
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let (a, b) = (t.var(2.0_f64), t.var(5.0_f64));
    /// let mut g = t.backward(a * b);
    /// assert_eq!((g.take(a), g.take(b)), (5.0, 2.0));
    /// ```
    #[track_caller]
    pub fn backward<Y: Backprop + 'static>(&self, output: Var<'_, Y>) -> Gradients<'_> {
        check_same_tape(self, &output, "the output");
        let values = self.values.borrow();
        let steps = self.steps.borrow();
        let mut grads: Vec<Option<Box<dyn Any>>> = (0..values.len()).map(|_| None).collect();
        grads[output.index] = Some(Box::new(get::<Y>(&values, output.index).one_like()));
        for i in (0..=output.index).rev() {
            if grads[i].is_some() {
                if let Some(step) = &steps[i] {
                    step(&values, i, &mut grads);
                }
            }
        }
        Gradients { tape: self, grads }
    }
}

/// The gradients of every value on a tape, from [`Tape::backward`].
pub struct Gradients<'t> {
    tape: &'t Tape,
    grads: Vec<Option<Box<dyn Any>>>,
}

impl Gradients<'_> {
    /// Takes out the gradient of `var` (a zero if nothing flowed into it).
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let (a, b) = (t.var(2.0_f64), t.var(5.0_f64));
    /// assert_eq!(t.backward(a * a).take(b), 0.0);
    /// ```
    #[track_caller]
    pub fn take<X: Backprop + 'static>(&mut self, var: Var<'_, X>) -> X {
        check_same_tape(self.tape, &var, "the variable");
        match self.grads[var.index].take() {
            Some(g) => *g.downcast::<X>().expect("a Var's type is its value's"),
            None => get::<X>(&self.tape.values.borrow(), var.index).zero_like(),
        }
    }
}

/// The gradient slot of node `i`, created as a zero shaped like its value if needed.
fn slot<'g, X: Backprop + 'static>(
    values: &[Box<dyn Any>],
    grads: &'g mut [Option<Box<dyn Any>>],
    i: usize,
) -> &'g mut X {
    let g = grads[i].get_or_insert_with(|| {
        Box::new(
            values[i]
                .downcast_ref::<X>()
                .expect("a Var's type is its value's")
                .zero_like(),
        )
    });
    g.downcast_mut::<X>().expect("a Var's type is its value's")
}

/// The gradients of the nodes before `me`, and node `me`'s own (a step runs only for a node that
/// received a gradient).
fn split_grads<Y: 'static>(
    grads: &mut [Option<Box<dyn Any>>],
    me: usize,
) -> (&mut [Option<Box<dyn Any>>], &Y) {
    let (before, after) = grads.split_at_mut(me);
    let dy = after[0]
        .as_ref()
        .and_then(|g| g.downcast_ref::<Y>())
        .expect("a gradient");
    (before, dy)
}

/// Panics unless `var` was made by `tape`: a `Var` indexes its own tape's storage, so one used
/// with another tape would silently read whichever value sits at its index there.
#[track_caller]
fn check_same_tape<X>(tape: &Tape, var: &Var<'_, X>, what: &str) {
    assert!(
        core::ptr::eq(tape, var.tape),
        "tape: {what} belongs to another tape (a `Var` can only be used with the tape that made it)"
    );
}

fn get<X: 'static>(values: &[Box<dyn Any>], i: usize) -> &X {
    values[i]
        .downcast_ref::<X>()
        .expect("a Var's type is its value's")
}

impl<'t, X: Backprop + 'static> Var<'t, X> {
    /// The value (a copy).
    ///
    /// ```
    /// assert_eq!(backprop::tape::Tape::new().var(2.0_f64).value(), 2.0);
    /// ```
    pub fn value(&self) -> X {
        get::<X>(&self.tape.values.borrow(), self.index).clone()
    }

    /// Applies a unary operation of the static engine, recording its backward step.
    ///
    /// ```
    /// use backprop::ops::reduce::Sum;
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let v = t.var(Vector::<f64, U3>::filled(2.0));
    /// assert_eq!(v.apply(Sum).value(), 6.0);
    /// ```
    pub fn apply<Op: UnaryOp<X> + 'static>(self, op: Op) -> Var<'t, Op::Out>
    where
        Op::Out: 'static,
    {
        let y = op.forward(get::<X>(&self.tape.values.borrow(), self.index));
        let a = self.index;
        let step: Step = Box::new(move |values, me, grads| {
            let (before, dy) = split_grads::<Op::Out>(grads, me);
            let (x, y) = (get::<X>(values, a), get::<Op::Out>(values, me));
            op.backward(x, y, dy, slot::<X>(values, before, a));
        });
        self.tape.push(y, Some(step))
    }

    /// Applies a binary operation of the static engine, recording its backward step.
    ///
    /// ```
    /// use backprop::ops::linalg::Dot;
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let (a, b) = (t.var(Vector::<f64, U2>::from([1.0, 2.0])), t.var(Vector::<f64, U2>::from([3.0, 4.0])));
    /// let d = a.apply2(Dot, b);
    /// assert_eq!((d.value(), t.gradient(d, b)), (11.0, Vector::from([1.0, 2.0])));
    /// ```
    #[track_caller]
    pub fn apply2<B: Backprop + 'static, Op: BinaryOp<X, B> + 'static>(
        self,
        op: Op,
        b: Var<'t, B>,
    ) -> Var<'t, Op::Out>
    where
        Op::Out: 'static,
    {
        check_same_tape(self.tape, &b, "the right operand");
        let y = {
            let values = self.tape.values.borrow();
            op.forward(get::<X>(&values, self.index), get::<B>(&values, b.index))
        };
        let (ia, ib) = (self.index, b.index);
        let step: Step = Box::new(move |values, me, grads| {
            let (before, dy) = split_grads::<Op::Out>(grads, me);
            let (x, z, y) = (
                get::<X>(values, ia),
                get::<B>(values, ib),
                get::<Op::Out>(values, me),
            );
            op.backward_a(x, z, y, dy, slot::<X>(values, before, ia));
            op.backward_b(x, z, y, dy, slot::<B>(values, before, ib));
        });
        self.tape.push(y, Some(step))
    }
}

/// An elementwise function as a unary operation, for the tape.
#[derive(Clone, Copy, Debug)]
pub struct Elementwise<F>(pub F);

impl<X: Tensor, F: ElemFn<X::Elem>> UnaryOp<X> for Elementwise<F> {
    type Out = X;
    fn forward(&self, x: &X) -> X {
        let xs = x.as_slice();
        X::from_flat_fn(|i| self.0.f(xs[i]))
    }
    fn backward(&self, x: &X, y: &X, dy: &X, gx: &mut X) {
        let (xs, ys, ds) = (x.as_slice(), y.as_slice(), dy.as_slice());
        for (i, g) in gx.as_mut_slice().iter_mut().enumerate() {
            *g += ds[i] * self.0.df(xs[i], ys[i]);
        }
    }
}

macro_rules! tape_methods {
    ($($method:ident $f:ident),*) => {
        impl<'t, X: Tensor + 'static> Var<'t, X> {
            $(
                #[doc = concat!("`", stringify!($method), "` elementwise, on the tape.")]
                ///
                /// ```
                /// let t = backprop::tape::Tape::new();
                /// let x = t.var(0.5_f64);
                #[doc = concat!("assert_eq!(x.", stringify!($method), "().value(), 0.5_f64.", stringify!($method), "());")]
                /// ```
                pub fn $method(self) -> Var<'t, X> {
                    self.apply(Elementwise($f))
                }
            )*
        }
    };
}
tape_methods!(exp Exp, ln Ln, sin Sin, cos Cos, tanh Tanh);

impl<'t, X: Tensor + 'static> Var<'t, X> {
    /// The logistic function, elementwise.
    ///
    /// ```
    /// assert_eq!(backprop::tape::Tape::new().var(0.0_f64).logistic().value(), 0.5);
    /// ```
    pub fn logistic(self) -> Var<'t, X> {
        self.apply(Elementwise(Logistic))
    }

    /// `max(x, 0)`, elementwise.
    ///
    /// ```
    /// assert_eq!(backprop::tape::Tape::new().var(-1.0_f64).relu().value(), 0.0);
    /// ```
    pub fn relu(self) -> Var<'t, X> {
        self.apply(Elementwise(Relu))
    }
}

macro_rules! tape_operator {
    ($($trait:ident $method:ident $f:ident),*) => {$(
        impl<'t, X, B> core::ops::$trait<Var<'t, B>> for Var<'t, X>
        where
            X: Backprop + 'static,
            B: Backprop + 'static,
            Zip<$f>: BinaryOp<X, B>,
            <Zip<$f> as BinaryOp<X, B>>::Out: 'static,
        {
            type Output = Var<'t, <Zip<$f> as BinaryOp<X, B>>::Out>;
            fn $method(self, rhs: Var<'t, B>) -> Self::Output {
                self.apply2(Zip($f), rhs)
            }
        }

        impl<'t, X> core::ops::$trait<f64> for Var<'t, X>
        where
            X: Backprop + 'static,
            Zip<$f>: BinaryOp<X, f64>,
            <Zip<$f> as BinaryOp<X, f64>>::Out: 'static,
        {
            type Output = Var<'t, <Zip<$f> as BinaryOp<X, f64>>::Out>;
            fn $method(self, rhs: f64) -> Self::Output {
                let c = self.tape.constant(rhs);
                self.apply2(Zip($f), c)
            }
        }
    )*};
}
tape_operator!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

impl<'t, X: Backprop + 'static> Var<'t, X> {
    /// Dot product of two vectors.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let v = t.var(Vector::<f64, U2>::from([3.0, 4.0]));
    /// assert_eq!(v.dot(v).value(), 25.0);
    /// ```
    pub fn dot<B: Backprop + 'static>(
        self,
        rhs: Var<'t, B>,
    ) -> Var<'t, <Dot as BinaryOp<X, B>>::Out>
    where
        Dot: BinaryOp<X, B>,
        X: DotShape<B>,
    {
        self.apply2(Dot, rhs)
    }

    /// Matrix-vector product.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let m = t.var(Matrix::<f64, U1, U2>::from([[1.0, 2.0]]));
    /// let v = t.var(Vector::<f64, U2>::from([3.0, 4.0]));
    /// assert_eq!(m.matvec(v).value(), Vector::from([11.0]));
    /// ```
    pub fn matvec<B: Backprop + 'static>(
        self,
        v: Var<'t, B>,
    ) -> Var<'t, <MatVec as BinaryOp<X, B>>::Out>
    where
        MatVec: BinaryOp<X, B>,
        X: MatVecShape<B>,
    {
        self.apply2(MatVec, v)
    }

    /// Sum of all elements.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// assert_eq!(t.var(Vector::<f64, U3>::filled(1.0)).sum().value(), 3.0);
    /// ```
    pub fn sum(self) -> Var<'t, <Sum as UnaryOp<X>>::Out>
    where
        Sum: UnaryOp<X>,
    {
        self.apply(Sum)
    }

    /// `x^n` elementwise.
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let x = t.var(2.0_f64);
    /// assert_eq!(t.gradient(x.powi(3), x), 12.0);
    /// ```
    pub fn powi(self, n: i32) -> Var<'t, X>
    where
        X: Tensor,
    {
        self.apply(Elementwise(Powi(n)))
    }

    /// Softmax cross-entropy of these logits against `target`, fused and stable.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let z = t.var(Vector::<f64, U2>::from([0.0, 0.0]));
    /// let y = t.constant(Vector::<f64, U2>::from([1.0, 0.0]));
    /// assert_eq!(z.softmax_cross_entropy(y).value(), 2.0_f64.ln());
    /// ```
    pub fn softmax_cross_entropy<B: Backprop + 'static>(
        self,
        target: Var<'t, B>,
    ) -> Var<'t, <SoftmaxCrossEntropy as BinaryOp<X, B>>::Out>
    where
        SoftmaxCrossEntropy: BinaryOp<X, B>,
        X: VectorLossShape<B>,
    {
        self.apply2(SoftmaxCrossEntropy, target)
    }
}

impl<'t, X: crate::expr::Input> Var<'t, X> {
    /// A static expression as one node on the tape (the "hybrid" style): `f` is a closure over
    /// placeholders, as for [`grad`](crate::grad); its forward pass runs now, and the tape's
    /// backward step is its vector-Jacobian product (which runs it forward again).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let v = t.var(Vector::<f64, U2>::from([1.0, 2.0]));
    /// let y = v.apply_static(|v| (v * v).sum().sqrt()); // a fused block
    /// let z = y * 3.0;
    /// let g = t.gradient(z, v);
    /// let n = 5.0_f64.sqrt();
    /// assert!((g[0] - 3.0 / n).abs() < 1e-15 && (g[1] - 6.0 / n).abs() < 1e-15);
    /// ```
    pub fn apply_static<F, N>(self, f: F) -> Var<'t, N::Out>
    where
        F: Fn(crate::entry::Placeholders<X>) -> crate::Ex<N> + 'static,
        N: crate::expr::Diff<X>,
        N::Out: 'static,
    {
        let y = crate::eval(&f, get::<X>(&self.tape.values.borrow(), self.index));
        let a = self.index;
        let step: Step = Box::new(move |values, me, grads| {
            let (before, dy) = split_grads::<N::Out>(grads, me);
            let (_, gx) = crate::vjp(&f, get::<X>(values, a), dy.clone())
                .expect("a tape gradient has its value's shape");
            slot::<X>(values, before, a).accumulate(&gx);
        });
        self.tape.push(y, Some(step))
    }
}
