//! Shape rules: every rule a computation's shapes must follow, one trait each, so that breaking
//! a rule is reported as one error that names the rule and shows the dimensions in decimal.
//!
//! There are two kinds of rules:
//! - *kind* rules, on value types: which kinds of values an operation takes (`matvec` needs a
//!   matrix and a vector). Their messages print both types, as in `Matrix<f64, U2, U3>`.
//! - *dimension* rules, on [`Dim`]s: which sizes must agree (`matvec` needs as many vector
//!   elements as matrix columns). Their messages print both dimensions, as in `U3` and `U4`.
//!
//! Each method checks its rules in its own `where` clause, so the error points at the call that
//! breaks them (`.matvec(`, `+`), and the operation nodes themselves carry no rule: a broken
//! rule is reported once, not again by every operation that uses the ill-shaped result.
//!
//! See [`crate::docs::shape_errors`] for what each error looks like.

use core::marker::PhantomData;

use crate::{Dim, Matrix, Scalar, Vector};

/// A type that is never a dimension. Each dimension rule has a second impl for it, which never
/// applies: with two candidate impls the compiler waits until both dimensions are known before
/// it checks a rule, so a mismatch is reported with the rule's message instead of as a type
/// mismatch found while inferring.
#[doc(hidden)]
pub struct Unmatched<D>(PhantomData<D>);

/// The body of every kind-rule impl.
macro_rules! checked {
    () => {
        crate::expr::seal!();
        type Checked<Node> = Node;
        #[inline(always)]
        fn check<Node>(node: Node) -> Node {
            node
        }
    };
}

macro_rules! dim_rule {
    ($(#[$doc:meta])* $name:ident, $msg:literal, $label:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(message = $msg, label = $label)]
        pub trait $name<D> {
            /// Seals the rule: shape rules are this crate's.
            #[doc(hidden)]
            const SEALED: crate::expr::sealed::Token;
        }
        impl<X: Dim> $name<X> for X {
            crate::expr::seal!();
        }
        impl<X: Dim> $name<Unmatched<X>> for X {
            crate::expr::seal!();
        }
    };
}

dim_rule!(
    /// `matvec`: the vector has as many elements as the matrix has columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<C: backprop::shape::MatVecLen<D>, D>() {}
    /// ok::<U3, U3>();
    /// ```
    MatVecLen,
    "shape mismatch in `matvec`: the matrix has {Self} columns but the vector has {D} elements",
    "the vector's length must equal the matrix's number of columns"
);
dim_rule!(
    /// `matmul`: the left matrix has as many columns as the right one has rows.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<C: backprop::shape::MatMulInner<D>, D>() {}
    /// ok::<U4, U4>();
    /// ```
    MatMulInner,
    "shape mismatch in `matmul`: the left matrix has {Self} columns but the right matrix has {D} rows",
    "the inner dimensions of a matrix product must be equal"
);
dim_rule!(
    /// `matmul_t`: both matrices have the same number of columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<C: backprop::shape::MatMulTInner<D>, D>() {}
    /// ok::<U784, U784>();
    /// ```
    MatMulTInner,
    "shape mismatch in `matmul_t`: the left matrix has {Self} columns but the right matrix has {D} columns",
    "`a.matmul_t(b)` is `a b^T`: both must have the same number of columns"
);
dim_rule!(
    /// Elementwise operations: two vectors have the same length.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::SameLen<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    SameLen,
    "shape mismatch in an elementwise operation: vectors of {Self} and {D} elements",
    "elementwise operands must have the same shape, or one must be a scalar"
);
dim_rule!(
    /// Elementwise operations: two matrices have the same number of rows.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::SameRows<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    SameRows,
    "shape mismatch in an elementwise operation: matrices of {Self} and {D} rows",
    "elementwise operands must have the same shape, or one must be a scalar"
);
dim_rule!(
    /// Elementwise operations: two matrices have the same number of columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::SameCols<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    SameCols,
    "shape mismatch in an elementwise operation: matrices of {Self} and {D} columns",
    "elementwise operands must have the same shape, or one must be a scalar"
);
dim_rule!(
    /// `dot`: two vectors of the same length.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::DotLen<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    DotLen,
    "shape mismatch in `dot`: vectors of {Self} and {D} elements",
    "a dot product needs two vectors of the same length"
);
dim_rule!(
    /// `add_row`: the vector has as many elements as the matrix has columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::AddRowLen<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    AddRowLen,
    "shape mismatch in `add_row`: the matrix has {Self} columns but the vector has {D} elements",
    "the vector added to every row must be as long as a row"
);
dim_rule!(
    /// `trace`: the matrix is square.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::Square<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    Square,
    "shape mismatch in `trace`: the matrix has {Self} rows and {D} columns",
    "the trace is defined for square matrices only"
);
dim_rule!(
    /// `stack_rows`: both matrices have the same number of columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::StackCols<M>, M>() {}
    /// ok::<U2, U2>();
    /// ```
    StackCols,
    "shape mismatch in `stack_rows`: matrices of {Self} and {D} columns",
    "matrices stacked on top of each other must have the same number of columns"
);
dim_rule!(
    /// Losses: the prediction and the target have the same length.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::LossLen<M>, M>() {}
    /// ok::<U10, U10>();
    /// ```
    LossLen,
    "shape mismatch in a loss: the prediction has {Self} elements but the target has {D}",
    "a loss compares a prediction with a target of the same shape"
);

/// Kind rule of `matvec`: an `R x C` matrix times a vector of `C` elements.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<M: backprop::shape::MatVecShape<V>, V>() {}
/// ok::<Matrix<f64, U2, U3>, Vector<f64, U3>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`matvec` multiplies a matrix by a vector, not `{Self}` by `{V}`",
    label = "`matvec` needs an R x C matrix and a vector of C elements"
)]
pub trait MatVecShape<V> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim, C: Dim + MatVecLen<C2>, C2: Dim> MatVecShape<Vector<T, C2>>
    for Matrix<T, R, C>
{
    checked!();
}

/// Kind rule of `matmul`: an `R x K` matrix times a `K x C` matrix.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::MatMulShape<B>, B>() {}
/// ok::<Matrix<f64, U2, U3>, Matrix<f64, U3, U5>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`matmul` multiplies two matrices, not `{Self}` by `{B}`",
    label = "`matmul` needs an R x K matrix and a K x C matrix"
)]
pub trait MatMulShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim, K: Dim + MatMulInner<K2>, K2: Dim, C: Dim> MatMulShape<Matrix<T, K2, C>>
    for Matrix<T, R, K>
{
    checked!();
}

/// Kind rule of `matmul_t`: an `R x K` matrix times the transpose of a `C x K` matrix.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::MatMulTShape<B>, B>() {}
/// ok::<Matrix<f64, U64, U784>, Matrix<f64, U300, U784>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`matmul_t` multiplies a matrix by the transpose of another, not `{Self}` by `{B}`",
    label = "`matmul_t` needs an R x K matrix and a C x K matrix"
)]
pub trait MatMulTShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim, K: Dim + MatMulTInner<K2>, K2: Dim, C: Dim> MatMulTShape<Matrix<T, C, K2>>
    for Matrix<T, R, K>
{
    checked!();
}

/// Kind rule of elementwise operations: equal shapes, or a scalar with anything.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::ElementwiseShape<B>, B>() {}
/// ok::<Vector<f64, U3>, Vector<f64, U3>>();
/// ok::<f64, Matrix<f64, U2, U2>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{Self}` and `{B}` cannot be combined elementwise",
    label = "elementwise operands must have the same shape, or one must be a scalar"
)]
pub trait ElementwiseShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar> ElementwiseShape<T> for T {
    checked!();
}
impl<T: Scalar, N: Dim> ElementwiseShape<Vector<T, N>> for T {
    checked!();
}
impl<T: Scalar, N: Dim> ElementwiseShape<T> for Vector<T, N> {
    checked!();
}
impl<T: Scalar, N: Dim + SameLen<M>, M: Dim> ElementwiseShape<Vector<T, M>> for Vector<T, N> {
    checked!();
}
impl<T: Scalar, R: Dim, C: Dim> ElementwiseShape<Matrix<T, R, C>> for T {
    checked!();
}
impl<T: Scalar, R: Dim, C: Dim> ElementwiseShape<T> for Matrix<T, R, C> {
    checked!();
}
impl<T: Scalar, R: Dim + SameRows<R2>, C: Dim + SameCols<C2>, R2: Dim, C2: Dim>
    ElementwiseShape<Matrix<T, R2, C2>> for Matrix<T, R, C>
{
    checked!();
}

/// Kind rule of `dot`: two vectors of the same length.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::DotShape<B>, B>() {}
/// ok::<Vector<f64, U3>, Vector<f64, U3>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`dot` takes two vectors, not `{Self}` and `{B}`",
    label = "`dot` needs two vectors of the same length"
)]
pub trait DotShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, N: Dim + DotLen<M>, M: Dim> DotShape<Vector<T, M>> for Vector<T, N> {
    checked!();
}

/// Kind rule of `add_row`: an `R x C` matrix and a vector of `C` elements.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::AddRowShape<B>, B>() {}
/// ok::<Matrix<f64, U4, U3>, Vector<f64, U3>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`add_row` adds a vector to every row of a matrix, not `{B}` to `{Self}`",
    label = "`add_row` needs an R x C matrix and a vector of C elements"
)]
pub trait AddRowShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim, C: Dim + AddRowLen<C2>, C2: Dim> AddRowShape<Vector<T, C2>>
    for Matrix<T, R, C>
{
    checked!();
}

/// Kind rule of `trace`: a square matrix.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::TraceShape>() {}
/// ok::<Matrix<f64, U3, U3>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`trace` takes a square matrix, not `{Self}`",
    label = "`trace` needs an N x N matrix"
)]
pub trait TraceShape {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim + Square<C>, C: Dim> TraceShape for Matrix<T, R, C> {
    checked!();
}

/// Kind rule of `stack_rows`: two matrices with the same number of columns.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::StackRowsShape<B>, B>() {}
/// ok::<Matrix<f64, U1, U3>, Matrix<f64, U2, U3>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`stack_rows` stacks two matrices, not `{Self}` and `{B}`",
    label = "`stack_rows` needs two matrices with the same number of columns"
)]
pub trait StackRowsShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim, C: Dim + StackCols<C2>, R2: Dim, C2: Dim> StackRowsShape<Matrix<T, R2, C2>>
    for Matrix<T, R, C>
{
    checked!();
}

/// Kind rule of losses: a prediction and a target of the same shape.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::LossShape<B>, B>() {}
/// ok::<Vector<f64, U10>, Vector<f64, U10>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "a loss compares a prediction with a target of the same shape, not `{Self}` with `{B}`",
    label = "the prediction and the target must have the same shape"
)]
pub trait LossShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar> LossShape<T> for T {
    checked!();
}
impl<T: Scalar, N: Dim + LossLen<M>, M: Dim> LossShape<Vector<T, M>> for Vector<T, N> {
    checked!();
}
impl<T: Scalar, R: Dim + SameRows<R2>, C: Dim + SameCols<C2>, R2: Dim, C2: Dim>
    LossShape<Matrix<T, R2, C2>> for Matrix<T, R, C>
{
    checked!();
}

/// Kind rule of `softmax_cross_entropy`: logits and target, two vectors of the same length.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::VectorLossShape<B>, B>() {}
/// ok::<Vector<f64, U10>, Vector<f64, U10>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`softmax_cross_entropy` takes logits and a target, two vectors, not `{Self}` and `{B}`",
    label = "logits and target must be vectors of the same length"
)]
pub trait VectorLossShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, N: Dim + LossLen<M>, M: Dim> VectorLossShape<Vector<T, M>> for Vector<T, N> {
    checked!();
}

/// Kind rule of `outer`: two vectors.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::OuterShape<B>, B>() {}
/// ok::<Vector<f64, U3>, Vector<f64, U5>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`outer` takes two vectors, not `{Self}` and `{B}`",
    label = "`outer` needs two vectors"
)]
pub trait OuterShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, N: Dim, M: Dim> OuterShape<Vector<T, M>> for Vector<T, N> {
    checked!();
}

/// Kind rule of `concat`: two vectors.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::ConcatShape<B>, B>() {}
/// ok::<Vector<f64, U3>, Vector<f64, U5>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`concat` joins two vectors, not `{Self}` and `{B}`",
    label = "`concat` needs two vectors (use `stack_rows` for matrices)"
)]
pub trait ConcatShape<B> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, N: Dim, M: Dim> ConcatShape<Vector<T, M>> for Vector<T, N> {
    checked!();
}

/// Kind rule of `softmax`, `log_softmax` and `logsumexp`: a vector.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::VectorShape>() {}
/// ok::<Vector<f64, U3>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "this operation takes a vector, not `{Self}`",
    label = "softmax, log_softmax and logsumexp work on vectors"
)]
pub trait VectorShape {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, N: Dim> VectorShape for Vector<T, N> {
    checked!();
}

/// Kind rule of `transpose`, `row_sums` and `col_sums`: a matrix.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<A: backprop::shape::MatrixShape>() {}
/// ok::<Matrix<f64, U3, U2>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "this operation takes a matrix, not `{Self}`",
    label = "transpose, row_sums and col_sums work on matrices"
)]
pub trait MatrixShape {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
    /// The node type when the rule holds: `N` itself. Methods return it, so that when the
    /// rule fails the result has no type and no second error follows from it.
    type Checked<N>;
    /// The identity on nodes whose operands follow the rule.
    fn check<N>(node: N) -> Self::Checked<N>;
}
impl<T: Scalar, R: Dim, C: Dim> MatrixShape for Matrix<T, R, C> {
    checked!();
}

/// Second (and third) impls of the binary kind rules, for every kind of value on the left: they
/// never apply (no value is `Unmatched`), but with several candidates the compiler checks a rule only once
/// both types are known, and reports the rule's own message (rather than a type mismatch, or a
/// method whose bounds are not satisfied).
macro_rules! second_impls {
    ($($tr:ident),*) => {$(
        second_impls!(@each $tr Unmatched<T>);
        second_impls!(@each $tr Unmatched<(T, T)>);
    )*};
    (@each $tr:ident $un:ty) => {
        impl<T: Scalar> $tr<$un> for T {
            checked!();
        }
        impl<T: Scalar, N: Dim> $tr<$un> for Vector<T, N> {
            checked!();
        }
        impl<T: Scalar, R: Dim, C: Dim> $tr<$un> for Matrix<T, R, C> {
            checked!();
        }
    };
}
second_impls!(
    MatMulTShape,
    MatVecShape,
    MatMulShape,
    DotShape,
    AddRowShape,
    StackRowsShape,
    VectorLossShape,
    OuterShape,
    ConcatShape
);
/// Kind rule of `dense`: an `R x C` weight matrix, a bias of `R` and an input of `C`.
///
/// ```
/// use backprop::prelude::*;
/// fn ok<W: backprop::shape::DenseShape<B, H>, B, H>() {}
/// ok::<Matrix<f64, U3, U2>, Vector<f64, U3>, Vector<f64, U2>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`dense` takes an R x C weight matrix, a bias of R and an input of C, not `{Self}`, `{B}` and `{H}`",
    label = "the weights, the bias and the input of a dense layer must fit"
)]
pub trait DenseShape<B, H> {
    /// Seals the rule: shape rules are this crate's.
    #[doc(hidden)]
    const SEALED: crate::expr::sealed::Token;
}
impl<T: Scalar, R: Dim + DenseBias<R2>, C: Dim + DenseInput<C2>, R2: Dim, C2: Dim>
    DenseShape<Vector<T, R2>, Vector<T, C2>> for Matrix<T, R, C>
{
    crate::expr::seal!();
}
impl<T: Scalar, R: Dim, C: Dim, X> DenseShape<Unmatched<X>, X> for Matrix<T, R, C> {
    crate::expr::seal!();
}

dim_rule!(
    /// `dense`: the bias has as many elements as the weight matrix has rows.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::DenseBias<M>, M>() {}
    /// ok::<U300, U300>();
    /// ```
    DenseBias,
    "shape mismatch in `dense`: the weight matrix has {Self} rows but the bias has {D} elements",
    "the bias must have one element per row of the weight matrix"
);
dim_rule!(
    /// `dense`: the input has as many elements as the weight matrix has columns.
    ///
    /// ```
    /// use backprop::prelude::*;
    /// fn ok<N: backprop::shape::DenseInput<M>, M>() {}
    /// ok::<U784, U784>();
    /// ```
    DenseInput,
    "shape mismatch in `dense`: the weight matrix has {Self} columns but the input has {D} elements",
    "the input must have one element per column of the weight matrix"
);
