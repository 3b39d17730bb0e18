//! A runtime tape: reverse mode with a Wengert list, for computations whose shape depends on
//! values (loops and branches on data), and as the baseline the static engine is measured
//! against.
//!
//! Values keep their static types ([`Var<X>`] knows `X`, so a shape error is still a compile
//! error) and every operation is the static engine's own ([`UnaryOp`]/[`BinaryOp`] with the same
//! kernels); what the tape adds is the bookkeeping. Storage is contiguous and typed: one `Vec`
//! per value type for the values, one for their gradients, one per kind of operation for the
//! operations' records (the operation and its operands' positions), and a list of steps, each a
//! plain function pointer and two positions. No value is boxed, no step is a closure, and
//! everything is kept across [`Tape::clear`] and [`Tape::truncate`], so a training loop that
//! records the same computation each step allocates nothing once warm.
//!
//! Backward runs the steps in reverse; the first contribution to a gradient is *written*
//! (through the operations' `backward_write`), later ones added, so no gradient is zero-filled
//! first.
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

use core::any::{Any, TypeId};
use core::cell::{Cell, RefCell};
use core::marker::PhantomData;
use core::mem::MaybeUninit;

mod second_order;
mod store;
pub use second_order::{hvp, jvp, Parts, Real};

use store::{Columns, Grads, Ref};

use crate::ops::elementwise::{Add, Div, Mul, Sub, Zip};
use crate::ops::{BinaryOp, UnaryOp};
use crate::{Backprop, Tensor};

/// The tape: the values computed so far, their operations, and the storage for gradients.
#[derive(Default)]
pub struct Tape {
    inner: RefCell<Inner>,
    /// Incremented by every backward pass, so [`Gradients`] of an earlier pass know they are
    /// stale.
    generation: Cell<u64>,
}

/// A value on a tape, of static type `X`.
pub struct Var<'t, X> {
    tape: &'t Tape,
    at: Ref,
    node: u32,
    /// Whether a gradient must flow to this value: it is a `var`, or computed from one.
    /// Operations on constants only are recorded without a backward step.
    needs: bool,
    _x: PhantomData<fn() -> X>,
}

/// Where a value was recorded: its position in its column, its index on the tape, and whether
/// it needs a gradient.
type Pos = (Ref, u32, bool);

impl<X> Clone for Var<'_, X> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<X> Copy for Var<'_, X> {}

/// One backward step: `run` sends the gradient of the value at `out` to the operands at `a`
/// and `b` (`b` unused by one-operand operations), through the operation in `op`.
#[derive(Clone, Copy)]
struct Step {
    run: fn(&Store, &mut Grads, &Step),
    a: Ref,
    b: Ref,
    out: Ref,
    node: u32,
    /// Whether `op` holds the position of a record (else the operation itself).
    recorded: bool,
    /// Whether the operands need a gradient (a constant operand gets none).
    needs_a: bool,
    needs_b: bool,
    /// The operation itself when it is small (every built-in one; see [`Inline`]), else where
    /// its record is in `Store::records`.
    op: Inline,
}

/// A small `Copy` value stored in place, without its type: 16 bytes aligned to 8. A step keeps
/// its operation here (most are zero-sized, `Powi` is an `i32`), which saves a column lookup
/// and a push per operation.
#[derive(Clone, Copy)]
struct Inline([MaybeUninit<u64>; 2]);

impl Inline {
    /// Whether a `V` fits.
    const fn fits<V>() -> bool {
        size_of::<V>() <= size_of::<Inline>() && align_of::<V>() <= align_of::<Inline>()
    }

    #[inline(always)]
    fn new<V: Copy + 'static>(v: V) -> Self {
        const { assert!(Self::fits::<V>()) };
        let mut bytes = Inline([MaybeUninit::uninit(); 2]);
        // SAFETY: `V` fits (size and alignment, checked at compile time), and the destination
        // is this value's own storage.
        unsafe { bytes.0.as_mut_ptr().cast::<V>().write(v) };
        bytes
    }

    /// The value stored by `new::<V>`.
    ///
    /// # Safety
    /// `self` was made by `Inline::new::<V>` with this `V`.
    #[inline(always)]
    unsafe fn get<V: Copy + 'static>(&self) -> V {
        // SAFETY: the caller's: these bytes hold a `V` (written by `new::<V>`, aligned, `Copy`
        // so it can be read any number of times).
        unsafe { self.0.as_ptr().cast::<V>().read() }
    }
}

/// Values (one column per type) and operation records (one column per kind of operation).
#[derive(Default)]
struct Store {
    values: Columns,
    records: Columns,
}

#[derive(Default)]
struct Inner {
    store: Store,
    /// Gradients, column for column with `store.values` (made at the first backward pass that
    /// meets a column).
    grads: Grads,
    /// For each value column, the function that readies its gradient column for a pass.
    prepare: Vec<fn(&Columns, &mut Grads, u32)>,
    /// Where each value is, in the order they were recorded.
    nodes: Vec<Ref>,
    /// Whether each value needs a gradient, in the same order.
    needs: Vec<bool>,
    steps: Vec<Step>,
    /// Scratch space for `truncate` (one entry per column), kept so it allocates once.
    keep: Vec<u32>,
}

impl Inner {
    /// Appends a value (in its type's column).
    #[inline(always)]
    fn push_value<X: Backprop + 'static>(&mut self, x: X, needs: bool) -> Pos {
        let columns = self.store.values.len();
        let col = self.store.values.index_of::<Vec<X>>();
        if self.store.values.len() > columns {
            self.prepare.push(prepare_grads::<X>);
        }
        self.push_value_in(col, x, needs)
    }

    /// Appends a value to column `col`, already known to be `X`'s (an operand's column, when
    /// the result has the operand's type: no search).
    #[inline(always)]
    fn push_value_in<X: Backprop + 'static>(&mut self, col: u32, x: X, needs: bool) -> Pos {
        let column = self.store.values.get_mut::<Vec<X>>(col);
        column.push(x);
        let at = Ref {
            col,
            row: (column.len() - 1) as u32,
        };
        self.nodes.push(at);
        self.needs.push(needs);
        (at, (self.nodes.len() - 1) as u32, needs)
    }

    /// Appends an operation's result and its backward step: `run::<true>` when the operation
    /// fits in the step, else `run::<false>` with the operation in a record column. An
    /// operation on constants only gets no step (nothing needs its gradient).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn push_op<A: 'static, Y: Backprop + 'static, Op: Copy + 'static>(
        &mut self,
        y: Y,
        op: Op,
        (a, b): (Ref, Ref),
        (needs_a, needs_b): (bool, bool),
        inline: fn(&Store, &mut Grads, &Step),
        recorded: fn(&Store, &mut Grads, &Step),
    ) -> Pos {
        let needs = needs_a || needs_b;
        let (out, node, _) = if TypeId::of::<Y>() == TypeId::of::<A>() {
            self.push_value_in(a.col, y, needs)
        } else {
            self.push_value(y, needs)
        };
        if !needs {
            return (out, node, false);
        }
        let (op, run, recorded) = if Inline::fits::<Op>() {
            (Inline::new(op), inline, false)
        } else {
            (Inline::new(self.push_record(op)), recorded, true)
        };
        self.steps.push(Step {
            run,
            a,
            b,
            out,
            node,
            recorded,
            needs_a,
            needs_b,
            op,
        });
        (out, node, true)
    }

    /// Appends an operation too large for a step to its type's record column.
    fn push_record<R: 'static>(&mut self, record: R) -> Ref {
        let col = self.store.records.index_of::<Vec<R>>();
        let records = self.store.records.get_mut::<Vec<R>>(col);
        records.push(record);
        Ref {
            col,
            row: (records.len() - 1) as u32,
        }
    }

    fn value<X: 'static>(&self, at: Ref) -> &X {
        &self.store.values.get::<Vec<X>>(at.col)[at.row as usize]
    }
}

/// For each of `columns` columns, the first row among `forgotten` (`u32::MAX` if none).
/// Rows grow in recording order, so the first forgotten row of a column is the smallest; the
/// scan stops once every column has one.
fn keep_rows(keep: &mut Vec<u32>, columns: usize, forgotten: impl Iterator<Item = Ref>) {
    keep.clear();
    keep.resize(columns, u32::MAX);
    let mut left = columns;
    for at in forgotten {
        let k = &mut keep[at.col as usize];
        if *k == u32::MAX {
            *k = at.row;
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
}

/// Readies column `col`'s gradients for a backward pass: one slot per value (new slots are
/// zeros shaped like their values; old ones are kept, stale, for their allocations), none
/// written yet.
fn prepare_grads<X: Backprop + 'static>(values: &Columns, grads: &mut Grads, col: u32) {
    if grads.cols.len() == col as usize {
        grads.cols.index_of::<Vec<X>>();
        grads.written.push(Vec::new());
    }
    let values = values.get::<Vec<X>>(col);
    let g = grads.cols.get_mut::<Vec<X>>(col);
    let have = g.len();
    if have < values.len() {
        g.extend(values[have..].iter().map(Backprop::zero_like));
    }
    let written = &mut grads.written[col as usize];
    written.clear();
    written.resize(values.len(), false);
}

/// Sends a contribution to the gradient of the value at `a`, given the gradient `dy` of the
/// value at `out` (recorded later, so `out.row > a.row` when they share a column): `f(ga,
/// first, dy)` writes into `ga` when `first` (nothing reached it yet; `ga` holds a stale value
/// of `a`'s shape) and adds otherwise.
#[inline(always)]
fn contribute<X: Backprop + 'static, Y: 'static>(
    grads: &mut Grads,
    a: Ref,
    like: &X,
    out: Ref,
    f: impl FnOnce(&mut X, bool, &Y),
) {
    let (a_row, out_row) = (a.row as usize, out.row as usize);
    let first = !core::mem::replace(&mut grads.written[a.col as usize][a_row], true);
    if a.col == out.col {
        let column = grads.cols.get_mut::<Vec<X>>(a.col);
        let (before, from) = column.split_at_mut(out_row);
        let dy = (&from[0] as &dyn Any)
            .downcast_ref::<Y>()
            .expect("a column holds one type");
        let ga = &mut before[a_row];
        if first && !ga.same_shape(like) {
            *ga = like.zero_like();
        }
        f(ga, first, dy)
    } else {
        let (ca, cy) = grads.cols.get_pair::<Vec<X>, Vec<Y>>(a.col, out.col);
        let ga = &mut ca[a_row];
        if first && !ga.same_shape(like) {
            *ga = like.zero_like();
        }
        f(ga, first, &cy[out_row])
    }
}

/// The operation of `step`: in the step itself (`INLINE`), or in its record column.
#[inline(always)]
fn op_of<Op: Copy + 'static, const INLINE: bool>(store: &Store, step: &Step) -> Op {
    if INLINE {
        // SAFETY: a step whose `run` is `run_*::<Op, .., true>` was made by `push_op` with
        // `Inline::new(op)` for this `Op` (the two are chosen together there).
        unsafe { step.op.get::<Op>() }
    } else {
        // SAFETY: as above, with `Inline::new(record)` for the record's position.
        let at = unsafe { step.op.get::<Ref>() };
        store.records.get::<Vec<Op>>(at.col)[at.row as usize]
    }
}

fn run_unary<Op, X, const INLINE: bool>(store: &Store, grads: &mut Grads, step: &Step)
where
    Op: UnaryOp<X> + 'static,
    X: Backprop + 'static,
    Op::Out: 'static,
{
    let op: Op = op_of::<Op, INLINE>(store, step);
    let x = &store.values.get::<Vec<X>>(step.a.col)[step.a.row as usize];
    let y = &store.values.get::<Vec<Op::Out>>(step.out.col)[step.out.row as usize];
    contribute(grads, step.a, x, step.out, |gx, first, dy| {
        if first {
            op.backward_write(x, y, dy, gx)
        } else {
            op.backward(x, y, dy, gx)
        }
    });
}

fn run_binary<Op, A, B, const INLINE: bool>(store: &Store, grads: &mut Grads, step: &Step)
where
    Op: BinaryOp<A, B> + 'static,
    A: Backprop + 'static,
    B: Backprop + 'static,
    Op::Out: 'static,
{
    let op: Op = op_of::<Op, INLINE>(store, step);
    let a = &store.values.get::<Vec<A>>(step.a.col)[step.a.row as usize];
    let b = &store.values.get::<Vec<B>>(step.b.col)[step.b.row as usize];
    let y = &store.values.get::<Vec<Op::Out>>(step.out.col)[step.out.row as usize];
    if step.needs_a {
        contribute(grads, step.a, a, step.out, |ga, first, dy| {
            if first {
                op.backward_a_write(a, b, y, dy, ga)
            } else {
                op.backward_a(a, b, y, dy, ga)
            }
        });
    }
    if step.needs_b {
        contribute(grads, step.b, b, step.out, |gb, first, dy| {
            if first {
                op.backward_b_write(a, b, y, dy, gb)
            } else {
                op.backward_b(a, b, y, dy, gb)
            }
        });
    }
}

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
        self.inner.borrow().nodes.len()
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
        self.truncate(0)
    }

    /// Forgets every value after the first `len`: parameters put on the tape first stay on it
    /// (and are not copied again) while each step's computation is recorded anew. (It takes
    /// `&mut self`, so no `Var` of the forgotten values can outlive it.)
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
        let inner = self.inner.get_mut();
        if len >= inner.nodes.len() {
            return;
        }
        if len == 0 {
            for col in 0..inner.store.values.len() {
                inner.store.values.truncate(col as u32, 0);
            }
            for col in 0..inner.store.records.len() {
                inner.store.records.truncate(col as u32, 0);
            }
            inner.nodes.clear();
            inner.needs.clear();
            inner.steps.clear();
            return;
        }
        // Rows grow with recording order, so each column keeps the rows before the first
        // forgotten value in it.
        let Inner {
            store,
            nodes,
            needs,
            steps,
            keep,
            ..
        } = inner;
        keep_rows(keep, store.values.len(), nodes[len..].iter().copied());
        for (col, &rows) in keep.iter().enumerate() {
            if rows != u32::MAX {
                store.values.truncate(col as u32, rows as usize);
            }
        }
        nodes.truncate(len);
        needs.truncate(len);
        let first_step = steps.partition_point(|s| (s.node as usize) < len);
        keep_rows(
            keep,
            store.records.len(),
            steps[first_step..]
                .iter()
                .filter(|s| s.recorded)
                // SAFETY: a step marked `recorded` holds its record's position (`push_op`,
                // `apply_static`).
                .map(|s| unsafe { s.op.get::<Ref>() }),
        );
        for (col, &rows) in keep.iter().enumerate() {
            if rows != u32::MAX {
                store.records.truncate(col as u32, rows as usize);
            }
        }
        steps.truncate(first_step);
    }

    /// The value at position `index` on the tape as a `Var` (the positions of values put on the
    /// tape first are 0, 1, ...).
    ///
    /// # Panics
    /// If there is no value of type `X` at `index`.
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let _ = t.var(1.0_f64);
    /// let _ = t.var(2.0_f64);
    /// assert_eq!(t.at::<f64>(1).value(), 2.0);
    /// ```
    #[track_caller]
    pub fn at<X: Backprop + 'static>(&self, index: usize) -> Var<'_, X> {
        let inner = self.inner.borrow();
        let at = inner.nodes.get(index).copied();
        let ok = at.is_some_and(|at| inner.store.values.is::<Vec<X>>(at.col));
        assert!(ok, "no value of this type at position {index}");
        Var {
            tape: self,
            at: at.expect("checked"),
            node: index as u32,
            needs: inner.needs[index],
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
    #[track_caller]
    pub fn first<X: Backprop + 'static>(&self) -> Var<'_, X> {
        self.at(0)
    }

    fn var_at<X>(&self, (at, node, needs): Pos) -> Var<'_, X> {
        Var {
            tape: self,
            at,
            node,
            needs,
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
        let at = self.inner.borrow_mut().push_value(value, true);
        self.var_at(at)
    }

    /// A constant: a value no gradient flows to (its gradient reads as zero), so operations on
    /// constants alone record no backward step, and an operation with a constant operand
    /// computes no gradient for it (a weight matrix times a data vector: no pass over the
    /// matrix for the data's gradient).
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let (x, c) = (t.var(3.0_f64), t.constant(2.0));
    /// let mut g = t.backward(x * c);
    /// assert_eq!((g.take(x), g.take(c)), (2.0, 0.0));
    /// ```
    pub fn constant<X: Backprop + 'static>(&self, value: X) -> Var<'_, X> {
        let at = self.inner.borrow_mut().push_value(value, false);
        self.var_at(at)
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
    /// The gradients live in the tape's own storage (reused by the next pass), so a later
    /// `backward` replaces them: [`Gradients::take`] on the earlier result then panics rather
    /// than return the later pass's gradients.
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
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        let mut inner = self.inner.borrow_mut();
        let Inner {
            store,
            grads,
            prepare,
            steps,
            ..
        } = &mut *inner;
        for (col, prepare) in prepare.iter().enumerate() {
            prepare(&store.values, grads, col as u32);
        }
        let seed = store.values.get::<Vec<Y>>(output.at.col)[output.at.row as usize].one_like();
        grads.cols.get_mut::<Vec<Y>>(output.at.col)[output.at.row as usize] = seed;
        grads.written[output.at.col as usize][output.at.row as usize] = true;
        let last = steps.partition_point(|s| s.node <= output.node);
        for step in steps[..last].iter().rev() {
            if grads.written(step.out) {
                (step.run)(store, grads, step);
            }
        }
        Gradients {
            tape: self,
            generation,
        }
    }
}

/// The gradients of every value on a tape, from [`Tape::backward`].
pub struct Gradients<'t> {
    tape: &'t Tape,
    generation: u64,
}

impl Gradients<'_> {
    /// The gradient of `var` (a zero if nothing flowed into it), moved out of the tape's
    /// storage (taking it again gives a zero).
    ///
    /// # Panics
    /// If `var` belongs to another tape, or a later [`Tape::backward`] has replaced these
    /// gradients.
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let (a, b) = (t.var(2.0_f64), t.var(5.0_f64));
    /// let mut g = t.backward(a * a);
    /// assert_eq!((g.take(a), g.take(b)), (4.0, 0.0));
    /// ```
    #[track_caller]
    pub fn take<X: Backprop + 'static>(&mut self, var: Var<'_, X>) -> X {
        check_same_tape(self.tape, &var, "the variable");
        self.check_current();
        let mut inner = self.tape.inner.borrow_mut();
        match inner.grads.take_slot::<X>(var.at) {
            // The slot keeps a block of the same shape (recycled, not cleared) for the next pass.
            Some(slot) => {
                let stale = slot.stale_like();
                core::mem::replace(slot, stale)
            }
            None => inner.value::<X>(var.at).zero_like(),
        }
    }

    /// Moves the gradient of `var` into `target` without copying it: the two are swapped, and
    /// `target`'s old storage becomes the tape's for the next backward pass (which overwrites
    /// it). A zero if nothing flowed into `var`. How a training loop that keeps a gradient
    /// buffer gets the tape's gradient at no cost.
    ///
    /// # Panics
    /// As [`take`](Gradients::take).
    ///
    /// ```
    /// use backprop::prelude::*;
    /// let t = backprop::tape::Tape::new();
    /// let v = t.var(Vector::<f64, U2>::from([1.0, 2.0]));
    /// let mut g = Vector::filled(f64::NAN); // whatever it held is replaced
    /// t.backward(v.dot(v)).take_into(v, &mut g);
    /// assert_eq!(g, Vector::from([2.0, 4.0]));
    /// ```
    #[track_caller]
    pub fn take_into<X: Backprop + 'static>(&mut self, var: Var<'_, X>, target: &mut X) {
        check_same_tape(self.tape, &var, "the variable");
        self.check_current();
        let mut inner = self.tape.inner.borrow_mut();
        match inner.grads.take_slot::<X>(var.at) {
            Some(slot) => core::mem::swap(slot, target),
            None => *target = inner.value::<X>(var.at).zero_like(),
        }
    }
}

impl Gradients<'_> {
    /// Adds the gradient of `var` into `target` (nothing if no gradient reached it), without
    /// copying it first: how a training loop sums gradients into a buffer it keeps.
    ///
    /// # Panics
    /// As [`take`](Gradients::take).
    ///
    /// ```
    /// let t = backprop::tape::Tape::new();
    /// let x = t.var(3.0_f64);
    /// let mut sum = 1.0;
    /// t.backward(x * x).add_to(x, &mut sum);
    /// assert_eq!(sum, 7.0);
    /// ```
    #[track_caller]
    pub fn add_to<X: Backprop + 'static>(&self, var: Var<'_, X>, target: &mut X) {
        check_same_tape(self.tape, &var, "the variable");
        self.check_current();
        let inner = self.tape.inner.borrow();
        if inner.grads.written(var.at) {
            target.accumulate(&inner.grads.cols.get::<Vec<X>>(var.at.col)[var.at.row as usize]);
        }
    }

    #[track_caller]
    fn check_current(&self) {
        assert!(
            self.tape.generation.get() == self.generation,
            "tape: these gradients were replaced by a later backward pass (take them before \
             calling backward again)"
        );
    }
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

impl<'t, X: Backprop + 'static> Var<'t, X> {
    /// The value (a copy).
    ///
    /// ```
    /// assert_eq!(backprop::tape::Tape::new().var(2.0_f64).value(), 2.0);
    /// ```
    pub fn value(&self) -> X {
        self.tape.inner.borrow().value::<X>(self.at).clone()
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
        let mut inner = self.tape.inner.borrow_mut();
        let y = op.forward(inner.value::<X>(self.at));
        let at = inner.push_op::<X, _, _>(
            y,
            op,
            (self.at, self.at),
            (self.needs, false),
            run_unary::<Op, X, true>,
            run_unary::<Op, X, false>,
        );
        drop(inner);
        self.tape.var_at(at)
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
        let mut inner = self.tape.inner.borrow_mut();
        let y = op.forward(inner.value::<X>(self.at), inner.value::<B>(b.at));
        let at = inner.push_op::<X, _, _>(
            y,
            op,
            (self.at, b.at),
            (self.needs, b.needs),
            run_binary::<Op, X, B, true>,
            run_binary::<Op, X, B, false>,
        );
        drop(inner);
        self.tape.var_at(at)
    }
}

/// Elementwise functions as tape operations (moved to [`ops::map`](crate::ops::map), where the
/// table declares them; kept here under the old name).
pub use crate::ops::map::Elementwise;

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
            #[track_caller]
            fn $method(self, rhs: Var<'t, B>) -> Self::Output {
                self.apply2(Zip($f), rhs)
            }
        }
        tape_operator!(@number $trait $method $f f32);
        tape_operator!(@number $trait $method $f f64);
    )*};
    (@number $trait:ident $method:ident $f:ident $t:ty) => {
        /// A number on the right: recorded as a constant on the tape.
        impl<'t, X> core::ops::$trait<$t> for Var<'t, X>
        where
            X: Backprop + 'static,
            Zip<$f>: BinaryOp<X, $t>,
            <Zip<$f> as BinaryOp<X, $t>>::Out: 'static,
        {
            type Output = Var<'t, <Zip<$f> as BinaryOp<X, $t>>::Out>;
            fn $method(self, rhs: $t) -> Self::Output {
                let c = self.tape.constant(rhs);
                self.apply2(Zip($f), c)
            }
        }

        /// A number on the left: recorded as a constant on the tape.
        impl<'t, X> core::ops::$trait<Var<'t, X>> for $t
        where
            X: Backprop + 'static,
            Zip<$f>: BinaryOp<$t, X>,
            <Zip<$f> as BinaryOp<$t, X>>::Out: 'static,
        {
            type Output = Var<'t, <Zip<$f> as BinaryOp<$t, X>>::Out>;
            fn $method(self, rhs: Var<'t, X>) -> Self::Output {
                rhs.tape.constant(self).apply2(Zip($f), rhs)
            }
        }
    };
}
tape_operator!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

/// `-x`, elementwise.
///
/// ```
/// let t = backprop::tape::Tape::new();
/// let x = t.var(2.0_f64);
/// assert_eq!(t.gradient(-x * x, x), -4.0);
/// ```
impl<'t, X: Tensor + 'static> core::ops::Neg for Var<'t, X> {
    type Output = Var<'t, X>;
    fn neg(self) -> Self::Output {
        self.apply(Elementwise(crate::ops::map::Neg))
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
        let mut inner = self.tape.inner.borrow_mut();
        let y = crate::eval(&f, inner.value::<X>(self.at));
        let (out, node, needs) = inner.push_value(y, self.needs);
        if !needs {
            drop(inner);
            return self.tape.var_at((out, node, needs));
        }
        let record = inner.push_record(f);
        inner.steps.push(Step {
            run: run_static::<F, N, X>,
            a: self.at,
            b: self.at,
            out,
            node,
            recorded: true,
            needs_a: true,
            needs_b: false,
            op: Inline::new(record),
        });
        let at = (out, node, true);
        drop(inner);
        self.tape.var_at(at)
    }
}

fn run_static<F, N, X>(store: &Store, grads: &mut Grads, step: &Step)
where
    X: crate::expr::Input,
    F: Fn(crate::entry::Placeholders<X>) -> crate::Ex<N> + 'static,
    N: crate::expr::Diff<X>,
    N::Out: 'static,
{
    // SAFETY: `apply_static` makes this step with `Inline::new(record)`, the position of `F`.
    let at = unsafe { step.op.get::<Ref>() };
    let f = &store.records.get::<Vec<F>>(at.col)[at.row as usize];
    let x = &store.values.get::<Vec<X>>(step.a.col)[step.a.row as usize];
    contribute(grads, step.a, x, step.out, |gx, first, dy: &N::Out| {
        let (_, g) = crate::vjp(f, x, dy.clone()).expect("a tape gradient has its value's shape");
        if first {
            *gx = g;
        } else {
            gx.accumulate(&g);
        }
    });
}
