//! The operation table: each operation is declared once, in its family's file, and that one
//! declaration gives the method of both front ends: [`Ex`](crate::Ex) (the static engine) and
//! [`Var`](crate::tape::Var) (the runtime tape), with the same name, the same shape rule and
//! the same docs. A new operation added to a family's table cannot be missing from the tape.
//!
//! Every declaration also enters its name in its table's list; [`operations`] returns all of
//! them, which is how the tape's test checks that each one has a case.
//!
//! | macro | declares | `Ex` side | `Var` side |
//! |---|---|---|---|
//! | `unary_methods!` | `x.name(args)` for a [`UnaryOp`](super::UnaryOp) | a [`Unary`](super::Unary) node | one tape step |
//! | `binary_methods!` | `x.name(y)` for a [`BinaryOp`](super::BinaryOp), shape-checked | a [`Binary`](super::Binary) node | one tape step |
//! | `binary_functions!` | `name(x, y)` (losses) | a free function | a method `x.name(y)` |
//!
//! Elementwise functions (`exp`, `tanh`, ...) are declared by the table in
//! [`map`](super::map), operators (`+ - * /`, negation, numbers on either side) in
//! [`elementwise`](super::elementwise).

/// Declares operations of one operand for both front ends.
///
/// ```text
/// unary_methods! {
///     names: NAMES;
///     /// docs (with an example)
///     sum() = Sum;
///     /// docs
///     row_sums() = RowSums, operand MatrixShape;
///     /// docs (an operation whose value is not its type's name)
///     maximum() = Extremum(Extremum::Max), operand Sequence;
/// }
/// ```
macro_rules! unary_methods {
    (
        names: $names:ident;
        $(
            $(#[$doc:meta])*
            $method:ident() = $op:ident $(($value:expr))? $(, operand $shape:path)?;
        )+
    ) => {
        /// The operations this table declares, by method name.
        pub(crate) const $names: &[&str] = &[$(stringify!($method)),+];

        impl<A: $crate::expr::Expr> $crate::Ex<A> {$(
            $(#[$doc])*
            #[inline(always)]
            pub fn $method(self) -> $crate::Ex<$crate::ops::Unary<$op, A>>
            where
                $op: $crate::ops::UnaryOp<A::Out>,
                $(A::Out: $shape,)?
            {
                $crate::ops::unary($crate::ops::table::unary_methods!(@value $op $($value)?), self)
            }
        )+}

        impl<'t, X: $crate::Backprop + 'static> $crate::tape::Var<'t, X> {$(
            $(#[$doc])*
            ///
            /// On the tape: the same operation, recorded as one step.
            #[inline]
            pub fn $method(self) -> $crate::tape::Var<'t, <$op as $crate::ops::UnaryOp<X>>::Out>
            where
                $op: $crate::ops::UnaryOp<X>,
                <$op as $crate::ops::UnaryOp<X>>::Out: 'static,
                $(X: $shape,)?
            {
                self.apply($crate::ops::table::unary_methods!(@value $op $($value)?))
            }
        )+}
    };
    (@value $op:ident) => {
        $op
    };
    (@value $op:ident $value:expr) => {
        $value
    };
}

/// Declares operations of two operands, `x.name(y)`, for both front ends. `checked Rule`
/// makes the static engine's node the rule-checked one (see [`shape`](crate::shape)), whose
/// mismatches read as shape errors; `bound` adds the `BinaryOp` bound as well.
///
/// ```text
/// binary_methods! {
///     names: NAMES;
///     /// docs
///     matvec(v) = MatVec, checked MatVecShape;
///     /// docs
///     shift_in(x) = ShiftIn;
/// }
/// ```
macro_rules! binary_methods {
    (
        names: $names:ident;
        $(
            $(#[$doc:meta])*
            $method:ident($arg:ident) = $op:ident $(, checked $shape:ident $($bound:ident)?)?;
        )+
    ) => {
        /// The operations this table declares, by method name.
        pub(crate) const $names: &[&str] = &[$(stringify!($method)),+];

        impl<A: $crate::expr::Expr> $crate::Ex<A> {$(
            $crate::ops::table::binary_methods!(@ex $(#[$doc])* $method $arg $op $(, $shape $($bound)?)?);
        )+}

        impl<'t, X: $crate::Backprop + 'static> $crate::tape::Var<'t, X> {$(
            $(#[$doc])*
            ///
            /// On the tape: the same operation, recorded as one step.
            #[inline]
            #[track_caller]
            pub fn $method<B: $crate::Backprop + 'static>(
                self,
                $arg: $crate::tape::Var<'t, B>,
            ) -> $crate::tape::Var<'t, <$op as $crate::ops::BinaryOp<X, B>>::Out>
            where
                $op: $crate::ops::BinaryOp<X, B>,
                <$op as $crate::ops::BinaryOp<X, B>>::Out: 'static,
                $(X: $shape<B>,)?
            {
                self.apply2($op, $arg)
            }
        )+}
    };
    (@ex $(#[$doc:meta])* $method:ident $arg:ident $op:ident) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $method<B: $crate::ops::elementwise::Operand>(
            self,
            $arg: B,
        ) -> $crate::Ex<$crate::ops::Binary<$op, A, $crate::ops::elementwise::NodeOf<B>>>
        where
            $op: $crate::ops::BinaryOp<A::Out, $crate::ops::elementwise::OutOf<B>>,
        {
            $crate::ops::binary($op, self, $arg.into_ex())
        }
    };
    // `bound`: the operation's own bound joins the rule's (as extra where-predicates).
    (@ex $(#[$doc:meta])* $method:ident $arg:ident $op:ident, $shape:ident bound) => {
        $crate::ops::table::binary_methods!(@checked $(#[$doc])* $method $arg $op, $shape
            [$op: $crate::ops::BinaryOp<A::Out, $crate::ops::elementwise::OutOf<B>>,]);
    };
    (@ex $(#[$doc:meta])* $method:ident $arg:ident $op:ident, $shape:ident) => {
        $crate::ops::table::binary_methods!(@checked $(#[$doc])* $method $arg $op, $shape []);
    };
    (@checked $(#[$doc:meta])* $method:ident $arg:ident $op:ident, $shape:ident [$($extra:tt)*]) => {
        $(#[$doc])*
        #[allow(clippy::type_complexity)] // the rule-checked node type, see `shape`
        #[inline(always)]
        pub fn $method<B: $crate::ops::elementwise::Operand>(
            self,
            $arg: B,
        ) -> $crate::Ex<
            <A::Out as $shape<$crate::ops::elementwise::OutOf<B>>>::Checked<
                $crate::ops::Binary<$op, A, $crate::ops::elementwise::NodeOf<B>>,
            >,
        >
        where
            A::Out: $shape<$crate::ops::elementwise::OutOf<B>>,
            $($extra)*
        {
            $crate::Ex(<A::Out as $shape<$crate::ops::elementwise::OutOf<B>>>::check(
                $crate::ops::binary($op, self, $arg.into_ex()).0,
            ))
        }
    };
}

/// Declares functions of two operands, `name(x, y)` (the losses), for both front ends: a free
/// function building the static engine's node, and a method `x.name(y)` on the tape.
///
/// ```text
/// binary_functions! {
///     names: NAMES;
///     /// docs
///     squared_error(a, b) = SquaredError, rule LossShape;
/// }
/// ```
macro_rules! binary_functions {
    (
        names: $names:ident;
        $(
            $(#[$doc:meta])*
            $name:ident($a:ident, $b:ident) = $op:ident, rule $shape:ident $($bound:ident)?;
        )+
    ) => {
        /// The operations this table declares, by function name.
        pub(crate) const $names: &[&str] = &[$(stringify!($name)),+];

        $(
            $crate::ops::table::binary_functions!(@ex $(#[$doc])* $name $a $b $op $shape $($bound)?);
        )+

        impl<'t, X: $crate::Backprop + 'static> $crate::tape::Var<'t, X> {$(
            $(#[$doc])*
            ///
            /// On the tape: the same function as a method, `a.name(b)`, recorded as one step.
            #[inline]
            #[track_caller]
            pub fn $name<B: $crate::Backprop + 'static>(
                self,
                $b: $crate::tape::Var<'t, B>,
            ) -> $crate::tape::Var<'t, <$op as $crate::ops::BinaryOp<X, B>>::Out>
            where
                $op: $crate::ops::BinaryOp<X, B>,
                <$op as $crate::ops::BinaryOp<X, B>>::Out: 'static,
                X: $shape<B>,
            {
                self.apply2($op, $b)
            }
        )+}
    };
    // `bound`: the operation's own bound joins the rule's (as extra where-predicates).
    (@ex $(#[$doc:meta])* $name:ident $a:ident $b:ident $op:ident $shape:ident bound) => {
        $crate::ops::table::binary_functions!(@function $(#[$doc])* $name $a $b $op $shape [
            $op: $crate::ops::BinaryOp<
                $crate::ops::elementwise::OutOf<A>,
                $crate::ops::elementwise::OutOf<B>,
            >,
        ]);
    };
    (@ex $(#[$doc:meta])* $name:ident $a:ident $b:ident $op:ident $shape:ident) => {
        $crate::ops::table::binary_functions!(@function $(#[$doc])* $name $a $b $op $shape []);
    };
    (@function $(#[$doc:meta])* $name:ident $a:ident $b:ident $op:ident $shape:ident [$($extra:tt)*]) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<A: $crate::ops::elementwise::Operand, B: $crate::ops::elementwise::Operand>(
            $a: A,
            $b: B,
        ) -> $crate::Ex<
            $crate::ops::Binary<
                $op,
                $crate::ops::elementwise::NodeOf<A>,
                $crate::ops::elementwise::NodeOf<B>,
            >,
        >
        where
            $crate::ops::elementwise::OutOf<A>: $shape<$crate::ops::elementwise::OutOf<B>>,
            $($extra)*
        {
            $crate::ops::binary($op, $a.into_ex(), $b.into_ex())
        }
    };
}

pub(crate) use {binary_functions, binary_methods, unary_methods};

/// Every operation of the table, by the name of its method or function, family by family:
/// what the tape's test enumerates to check each one against the static engine.
///
/// ```
/// let ops = backprop::ops::table::operations();
/// assert!(ops.contains(&"matmul") && ops.contains(&"tanh") && ops.contains(&"squared_error"));
/// ```
pub fn operations() -> Vec<&'static str> {
    [
        super::map::ELEM_FN_NAMES,
        super::map::OTHER_NAMES,
        super::elementwise::NAMES,
        super::reduce::NAMES,
        super::softmax::NAMES,
        super::linalg::UNARY_NAMES,
        super::linalg::BINARY_NAMES,
        super::broadcast::NAMES,
        super::concat::NAMES,
        super::loss::NAMES,
        super::containers::NAMES,
    ]
    .concat()
}
