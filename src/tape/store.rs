//! The tape's storage: one column per type, so values, gradients and operation records sit in
//! plain typed `Vec`s (no box per value, no boxed closure per step), kept across
//! [`clear`](super::Tape::clear) and [`truncate`](super::Tape::truncate) so that a training loop
//! reuses them.

use core::any::{Any, TypeId};

/// Where a value sits: its type's column, and its row in that column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ref {
    pub(crate) col: u32,
    pub(crate) row: u32,
}

/// What the store needs of a column whatever its type.
pub(crate) trait Column: Any {
    fn truncate(&mut self, len: usize);
}

impl<X: 'static> Column for Vec<X> {
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len)
    }
}

/// The gradients of the values, column for column with them: `cols` holds a `Vec<X>` for each
/// value column of type `X`; a slot is meaningful only when its `written` flag is set; the others
/// are stale values kept for their allocations (a later pass overwrites them).
#[derive(Default)]
pub(crate) struct Grads {
    pub(crate) cols: Columns,
    pub(crate) written: Vec<Vec<bool>>,
}

impl Grads {
    /// The gradient slot of the value at `at` if a gradient reached it, marked as taken (no
    /// longer written).
    pub(crate) fn take_slot<X: 'static>(&mut self, at: Ref) -> Option<&mut X> {
        if !self.written(at) {
            return None;
        }
        self.written[at.col as usize][at.row as usize] = false;
        Some(&mut self.cols.get_mut::<Vec<X>>(at.col)[at.row as usize])
    }

    /// Whether a gradient reached the value at `at` in this pass.
    #[inline(always)]
    pub(crate) fn written(&self, at: Ref) -> bool {
        self.written
            .get(at.col as usize)
            .and_then(|w| w.get(at.row as usize))
            .copied()
            .unwrap_or(false)
    }
}

/// Columns of several types, one per type, each a `C` (`Vec<X>`, `GradColumn<X>`), found by
/// the type's id.
#[derive(Default)]
pub(crate) struct Columns {
    ids: Vec<TypeId>,
    cols: Vec<Box<dyn Column>>,
}

impl Columns {
    /// The index of `C`'s column, made empty on first use.
    #[inline]
    pub(crate) fn index_of<C: Column + Default>(&mut self) -> u32 {
        let id = TypeId::of::<C>();
        match self.ids.iter().position(|&t| t == id) {
            Some(i) => i as u32,
            None => {
                self.ids.push(id);
                self.cols.push(Box::new(C::default()));
                (self.ids.len() - 1) as u32
            }
        }
    }

    /// Column `col` as a `C`.
    ///
    /// # Panics
    /// If column `col` is not a `C` (never, for a `Ref` the tape made: a `Var<X>`'s column is
    /// its type's).
    #[inline(always)]
    pub(crate) fn get<C: Column>(&self, col: u32) -> &C {
        let col = col as usize;
        assert!(
            self.ids[col] == TypeId::of::<C>(),
            "tape: a column of another type"
        );
        // SAFETY: the column at `col` was made by `index_of::<C>` (its id is `C`'s, and ids and
        // columns are only ever pushed together), so the box holds a `C`: this is
        // `<dyn Any>::downcast_ref` with the id compared to a stored copy, not through the vtable.
        unsafe { &*(&*self.cols[col] as *const dyn Column as *const C) }
    }

    /// Column `col` as a `C`, mutably (see [`get`](Columns::get)).
    #[inline(always)]
    pub(crate) fn get_mut<C: Column>(&mut self, col: u32) -> &mut C {
        let col = col as usize;
        assert!(
            self.ids[col] == TypeId::of::<C>(),
            "tape: a column of another type"
        );
        // SAFETY: as in `get`; the borrow of `self` is unique.
        unsafe { &mut *(&mut *self.cols[col] as *mut dyn Column as *mut C) }
    }

    /// Columns `a` (mutably) and `b` (shared), which must differ.
    #[inline(always)]
    pub(crate) fn get_pair<A: Column, B: Column>(&mut self, a: u32, b: u32) -> (&mut A, &B) {
        assert!(
            self.ids[a as usize] == TypeId::of::<A>() && self.ids[b as usize] == TypeId::of::<B>(),
            "tape: a column of another type"
        );
        let [ca, cb] = self
            .cols
            .get_disjoint_mut([a as usize, b as usize])
            .expect("two different columns");
        // SAFETY: the caller's, for each column (they are different boxes: `get_disjoint_mut`).
        unsafe {
            (
                &mut *(&mut **ca as *mut dyn Column as *mut A),
                &*(&**cb as *const dyn Column as *const B),
            )
        }
    }

    /// Whether column `col` is a `C`.
    pub(crate) fn is<C: Column>(&self, col: u32) -> bool {
        self.ids[col as usize] == TypeId::of::<C>()
    }

    /// Shortens column `col` to `len` rows.
    pub(crate) fn truncate(&mut self, col: u32, len: usize) {
        self.cols[col as usize].truncate(len)
    }

    /// The number of columns.
    pub(crate) fn len(&self) -> usize {
        self.cols.len()
    }
}
