//! Elementwise arithmetic between two operands, with scalar broadcasting: `+ - * /` and
//! `powf`, between expressions and with plain constants on either side.
//!
//! | op | forward `y` | `da` | `db` |
//! |---|---|---|---|
//! | `a + b` | `a + b` | `dy` | `dy` |
//! | `a - b` | `a - b` | `dy` | `-dy` |
//! | `a * b` | `a b` | `dy b` | `dy a` |
//! | `a / b` | `a / b` | `dy / b` | `-dy y / b` |
//! | `a.powf(b)` | `a^b` | `dy b a^(b-1)` (0 where `b = 0`: `a^0 = 1` for every `a`) | `dy y ln a` (0 where `y = 0` or `a = 0`: `0^b` is 0 for every `b > 0`) |
//!
//! Shapes combine by [`Broadcast`]: equal shapes elementwise, or a scalar with anything (the
//! scalar is used for every element, and its gradient is the sum over them). Scaling a vector or
//! a matrix by a scalar expression is `s * v`.

use crate::expr::{Ex, Expr, Lit};
use crate::ops::{binary, Binary, BinaryOp};
use crate::shape::ElementwiseShape;
use crate::{Dim, Matrix, Scalar, Tensor, Vector};

/// The shape of an elementwise result: the non-scalar operand's (the left one's when both are
/// tensors), defined for every pair of tensors. This trait checks no rule ([`ElementwiseShape`] does, where the operation is
/// written), so an ill-shaped sum is reported once.
///
/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// let y = eval(|(s, v)| s * v + v, &(3.0_f64, v));
/// assert_eq!(y, Vector::from([4.0, 8.0]));
/// ```
pub trait Broadcast<Rhs>: Tensor {
    /// The shape of the result.
    type Output: Tensor<Elem = Self::Elem>;
}

impl<T: Scalar> Broadcast<T> for T {
    type Output = T;
}
impl<T: Scalar, N: Dim> Broadcast<Vector<T, N>> for T {
    type Output = Vector<T, N>;
}
impl<T: Scalar, N: Dim> Broadcast<T> for Vector<T, N> {
    type Output = Self;
}
impl<T: Scalar, N: Dim, M: Dim> Broadcast<Vector<T, M>> for Vector<T, N> {
    type Output = Self;
}
impl<T: Scalar, R: Dim, C: Dim> Broadcast<Matrix<T, R, C>> for T {
    type Output = Matrix<T, R, C>;
}
impl<T: Scalar, R: Dim, C: Dim> Broadcast<T> for Matrix<T, R, C> {
    type Output = Self;
}
impl<T: Scalar, R: Dim, C: Dim, R2: Dim, C2: Dim> Broadcast<Matrix<T, R2, C2>> for Matrix<T, R, C> {
    type Output = Self;
}
// Never allowed by `ElementwiseShape`; defined so that the node of a rejected `v + m` still has a
// type and the rejection is reported once.
impl<T: Scalar, N: Dim, R: Dim, C: Dim> Broadcast<Matrix<T, R, C>> for Vector<T, N> {
    type Output = Self;
}
impl<T: Scalar, N: Dim, R: Dim, C: Dim> Broadcast<Vector<T, N>> for Matrix<T, R, C> {
    type Output = Self;
}

/// A scalar function of two arguments with its partial derivatives.
///
/// ```
/// use backprop::ops::elementwise::{Mul, ZipFn};
/// assert_eq!((Mul.f(2.0, 3.0), Mul.da(2.0, 3.0, 6.0), Mul.db(2.0, 3.0, 6.0)), (6.0, 3.0, 2.0));
/// ```
pub trait ZipFn<T>: Copy {
    /// `f(a, b)`.
    fn f(&self, a: T, b: T) -> T;
    /// `df/da`, given `a`, `b` and `y = f(a, b)`.
    fn da(&self, a: T, b: T, y: T) -> T;
    /// `df/db`, given `a`, `b` and `y = f(a, b)`.
    fn db(&self, a: T, b: T, y: T) -> T;
}

macro_rules! zip_fns {
    ($($(#[$doc:meta])* $name:ident |$a:ident, $b:ident, $y:ident| $f:expr, $da:expr, $db:expr;)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;
        impl<T: Scalar> ZipFn<T> for $name {
            #[inline(always)]
            fn f(&self, $a: T, $b: T) -> T {
                $f
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn da(&self, $a: T, $b: T, $y: T) -> T {
                $da
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn db(&self, $a: T, $b: T, $y: T) -> T {
                $db
            }
        }
    )+};
}

zip_fns! {
    /// `a + b`.
    Add |a, b, y| a + b, T::one(), T::one();
    /// `a - b`.
    Sub |a, b, y| a - b, T::one(), -T::one();
    /// `a * b`.
    Mul |a, b, y| a * b, b, a;
    /// `a / b`.
    Div |a, b, y| a / b, b.recip(), -y / b;
    /// `a^b` for a real exponent.
    Pow |a, b, y| a.powf(b), if b == T::zero() { T::zero() } else { b * a.powf(b - T::one()) }, if y == T::zero() || a == T::zero() { T::zero() } else { y * a.ln() };
}

/// An elementwise [`ZipFn`] as a [`BinaryOp`] over broadcast shapes.
///
/// ```
/// use backprop::ops::elementwise::{Mul, Zip};
/// use backprop::ops::BinaryOp;
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([1.0, 2.0]);
/// assert_eq!(Zip(Mul).forward(&3.0, &v), Vector::from([3.0, 6.0]));
/// let mut gs = 0.0; // a broadcast scalar's gradient is the sum over the elements
/// Zip(Mul).backward_a(&3.0, &v, &Vector::zeros(), &Vector::filled(1.0), &mut gs);
/// assert_eq!(gs, 3.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Zip<F>(pub F);

/// The index into operand `X` for element `i` of the result (0 for a broadcast scalar).
#[inline(always)]
fn at<X: Tensor>(i: usize) -> usize {
    if X::IS_SCALAR {
        0
    } else {
        i
    }
}

/// Adds `f(i)` for every element `i` of an `n`-element result into `g`; a broadcast scalar
/// operand receives the sum.
#[inline(always)]
pub(crate) fn accumulate_broadcast<X: Tensor>(g: &mut X, n: usize, f: impl Fn(usize) -> X::Elem) {
    let g = g.as_mut_slice();
    if X::IS_SCALAR {
        g[0] += (0..n).map(f).fold(X::Elem::zero(), |s, v| s + v);
    } else {
        for (i, gi) in g.iter_mut().enumerate() {
            *gi += f(i);
        }
    }
}

use num_traits::Zero as _;

impl<X, Y, F> BinaryOp<X, Y> for Zip<F>
where
    X: Broadcast<Y>,
    Y: Tensor<Elem = X::Elem>,
    F: ZipFn<X::Elem>,
{
    type Out = X::Output;
    #[inline(always)]
    fn forward(&self, a: &X, b: &Y) -> Self::Out {
        let (a, b) = (a.as_slice(), b.as_slice());
        Self::Out::from_flat_fn(|i| self.0.f(a[at::<X>(i)], b[at::<Y>(i)]))
    }
    #[inline(always)]
    fn backward_a(&self, a: &X, b: &Y, y: &Self::Out, dy: &Self::Out, ga: &mut X) {
        let (a, b, y, dy) = (a.as_slice(), b.as_slice(), y.as_slice(), dy.as_slice());
        accumulate_broadcast(ga, dy.len(), |i| {
            dy[i] * self.0.da(a[at::<X>(i)], b[at::<Y>(i)], y[i])
        });
    }
    #[inline(always)]
    fn backward_b(&self, a: &X, b: &Y, y: &Self::Out, dy: &Self::Out, gb: &mut Y) {
        let (a, b, y, dy) = (a.as_slice(), b.as_slice(), y.as_slice(), dy.as_slice());
        accumulate_broadcast(gb, dy.len(), |i| {
            dy[i] * self.0.db(a[at::<X>(i)], b[at::<Y>(i)], y[i])
        });
    }
}

/// An operand of an operator or of `powf`: an expression, or a plain number (which becomes a
/// [`Lit`]) of the scalar type `T` of the other operand (so `x * 2.0` is `f32` arithmetic when
/// `x` holds `f32`).
///
/// Plain data is not an operand: a tensor that gets no gradient (a training sample, a target)
/// is wrapped in [`constant`](crate::constant), and the error for a bare `&x` says so.
///
/// ```
/// use backprop::prelude::*;
/// // The exponent may be a constant or an expression.
/// assert_eq!(grad(|x| x.powf(2.0), &3.0_f64), 6.0);
/// let (da, db) = grad(|(a, b)| a.powf(b), &(2.0_f64, 3.0_f64));
/// assert_eq!(da, 12.0);
/// assert!((db - 8.0 * 2.0_f64.ln()).abs() < 1e-12);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an expression: wrap data that gets no gradient in `constant(..)`",
    label = "write `constant(&x)` here (or use a placeholder of the closure)",
    note = "operands of the closure's computation are expressions: its placeholders, `constant(&data)`, or plain numbers"
)]
pub trait IntoEx<T> {
    /// The node.
    type Node: Expr;
    /// Converts into an expression.
    fn into_ex(self) -> Ex<Self::Node>;
}

impl<N: Expr, T> IntoEx<T> for Ex<N> {
    type Node = N;
    #[inline(always)]
    fn into_ex(self) -> Self {
        self
    }
}

// One impl per float type (not one for every `Scalar`): a plain tensor (`&x`) then has no
// candidate impl and fails on this trait's message rather than on a shape rule, and the
// literal's type comes from the other operand's scalar type `T`.
macro_rules! literal_operand {
    ($($t:ty),*) => {$(
        impl IntoEx<$t> for $t {
            type Node = Lit<$t>;
            #[inline(always)]
            fn into_ex(self) -> Ex<Lit<$t>> {
                Ex(Lit(self))
            }
        }
    )*};
}
literal_operand!(f32, f64);

/// An operand of a method or loss that takes a tensor expression (`matvec`, `dot`, `matmul`,
/// `squared_error`, ...): an expression. Plain data is wrapped in [`constant`](crate::constant),
/// and the error for a bare `&x` says so.
///
/// ```
/// use backprop::prelude::*;
/// let x = Vector::<f64, U2>::from([1.0, 2.0]);
/// assert_eq!(grad(|w| w.dot(constant(&x)), &Vector::<f64, U2>::zeros()), x);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an expression: wrap data that gets no gradient in `constant(..)`",
    label = "write `constant(&x)` here (or use a placeholder of the closure)",
    note = "operands of the closure's computation are expressions: its placeholders, or `constant(&data)`"
)]
pub trait Operand {
    /// The node.
    type Node: Expr;
    /// Converts into an expression.
    fn into_ex(self) -> Ex<Self::Node>;
}

impl<N: Expr> Operand for Ex<N> {
    type Node = N;
    #[inline(always)]
    fn into_ex(self) -> Self {
        self
    }
}

/// The node an [`Operand`] becomes.
pub type NodeOf<B> = <B as Operand>::Node;
/// The value type of an [`Operand`].
pub type OutOf<B> = <<B as Operand>::Node as Expr>::Out;

/// The scalar type of a tensor expression's value.
type ElemOf<A> = <<A as Expr>::Out as Tensor>::Elem;
/// The node of operand `R` beside the tensor expression `A`.
type RhsNode<R, A> = <R as IntoEx<ElemOf<A>>>::Node;

impl<A: Expr> Ex<A> {
    /// `a^b` elementwise for a real exponent `b`: a constant or a differentiable expression
    /// (scalar, or of the same shape).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// assert_eq!(value_and_grad(|x| x.powf(0.5), &4.0_f64), (2.0, 0.25));
    /// ```
    #[allow(clippy::type_complexity)] // the rule-checked node type, see `shape`
    #[inline(always)]
    pub fn powf<P>(
        self,
        exponent: P,
    ) -> Ex<
        <A::Out as ElementwiseShape<<RhsNode<P, A> as Expr>::Out>>::Checked<
            Binary<Zip<Pow>, A, RhsNode<P, A>>,
        >,
    >
    where
        A::Out: Tensor,
        P: IntoEx<ElemOf<A>>,
        A::Out: ElementwiseShape<<RhsNode<P, A> as Expr>::Out>,
    {
        let node = binary(Zip(Pow), self, exponent.into_ex()).0;
        Ex(<A::Out as ElementwiseShape<<RhsNode<P, A> as Expr>::Out>>::check(node))
    }
}

macro_rules! impl_operator {
    ($($trait:ident $method:ident $f:ident),+) => {$(
        impl<A: Expr, R> core::ops::$trait<R> for Ex<A>
        where
            A::Out: Tensor,
            R: IntoEx<ElemOf<A>>,
            A::Out: ElementwiseShape<<RhsNode<R, A> as Expr>::Out>,
        {
            type Output = Ex<Binary<Zip<$f>, A, RhsNode<R, A>>>;
            #[inline(always)]
            fn $method(self, rhs: R) -> Self::Output {
                binary(Zip($f), self, rhs.into_ex())
            }
        }

        impl_operator!(@left $trait $method $f f32);
        impl_operator!(@left $trait $method $f f64);
    )+};
    (@left $trait:ident $method:ident $f:ident $t:ty) => {
        impl<B: Expr> core::ops::$trait<Ex<B>> for $t
        where
            $t: ElementwiseShape<B::Out>,
        {
            type Output = Ex<Binary<Zip<$f>, Lit<$t>, B>>;
            #[inline(always)]
            fn $method(self, rhs: Ex<B>) -> Self::Output {
                binary(Zip($f), Ex(Lit(self)), rhs)
            }
        }
    };
}
impl_operator!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

/// The operators this family declares (the tape's are in [`tape`](crate::tape), over the same
/// operations), by method name; negation is the elementwise function `Neg`.
pub(crate) const NAMES: &[&str] = &["add", "sub", "mul", "div", "neg"];

crate::tangent::second_order! { linear binary:
    impl[] Zip<Add>;
    impl[] Zip<Sub>;
}
crate::tangent::second_order! { bilinear:
    impl[] Zip<Mul>;
}
crate::tangent::second_order! { by dual binary:
    impl[] Zip<Div>;
    impl[] Zip<Pow>;
}
