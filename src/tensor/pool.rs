//! A per-thread cache of the heap blocks that large tensors leave behind, so that a training
//! loop, which builds the same intermediate tensors and gradients on every step, allocates no
//! tensor storage in steady state and does not map a fresh multi-megabyte block each step (the
//! design notes saw glibc return large freed blocks to the system and page-fault them in again).
//!
//! A block is recycled only for a tensor of exactly the same memory layout (size and alignment).
//! [`boxed`] and [`boxed_filled`] write every element before the block becomes a `Box<[T]>`
//! again; [`boxed_stale`] hands out a block that last held `f32`s or `f64`s as it is (every bit
//! pattern a valid value), for buffers whose every element is written or zeroed before it is
//! read. The cache holds at most [`MAX_BLOCKS`] blocks and [`MAX_BYTES`] bytes per thread; past
//! that, the oldest blocks go back to the allocator (a block larger than the whole budget is
//! never kept). A thread's cache is freed when the thread ends.

use std::alloc::{dealloc, Layout};
use std::cell::Cell;

/// At most this many blocks are kept per thread.
pub(crate) const MAX_BLOCKS: usize = 64;
/// At most this many bytes are kept per thread.
pub(crate) const MAX_BYTES: usize = 64 << 20;

/// A block of memory from the global allocator, with the layout it was allocated with.
struct Block {
    ptr: *mut u8,
    layout: Layout,
    /// Whether the block last held `f32`s or `f64`s, whose every bit pattern is a valid value:
    /// only such a block can be handed out without being written first ([`boxed_stale`]).
    floats: bool,
}

/// Whether `T` is `f32` or `f64` (for types without a `'static` bound, where `TypeId` cannot
/// ask). A name that does not match only costs a missed reuse; no other type is named so.
fn is_float<T>() -> bool {
    let name = core::any::type_name::<T>();
    name == "f64" || name == "f32"
}

/// Takes a cached block of exactly `layout` (one that held floats, if `floats`).
fn take(layout: Layout, floats: bool) -> Option<Block> {
    if layout.size() == 0 {
        return None;
    }
    with_cache(|c| {
        let at = c
            .blocks
            .iter()
            .rposition(|b| b.layout == layout && (b.floats || !floats))?;
        let b = c.blocks.swap_remove(at);
        c.bytes -= layout.size();
        Some(b)
    })
    .flatten()
}

/// The blocks of one thread; frees them when the thread ends.
struct Blocks {
    blocks: Vec<Block>,
    bytes: usize,
}

impl Drop for Blocks {
    fn drop(&mut self) {
        for b in self.blocks.drain(..) {
            // SAFETY: every block was allocated by the global allocator with `b.layout` (it
            // was a `Box<[T]>` of that layout) and is owned by the cache alone.
            unsafe { dealloc(b.ptr, b.layout) };
        }
    }
}

thread_local! {
    static CACHE: Cell<Blocks> = const { Cell::new(Blocks { blocks: Vec::new(), bytes: 0 }) };
}

/// Runs `f` on this thread's cache (taken out of its cell and put back: `f` never calls back
/// into the cache, so nothing is lost). `None` while the thread is being torn down.
fn with_cache<R>(f: impl FnOnce(&mut Blocks) -> R) -> Option<R> {
    CACHE
        .try_with(|cell| {
            let mut blocks = cell.replace(Blocks {
                blocks: Vec::new(),
                bytes: 0,
            });
            let r = f(&mut blocks);
            cell.set(blocks);
            r
        })
        .ok()
}

/// A boxed slice of `len` elements, element `i` being `f(i)`, in a recycled block when one of
/// the right layout is cached.
pub(crate) fn boxed<T>(len: usize, mut f: impl FnMut(usize) -> T) -> Box<[T]> {
    let Ok(layout) = Layout::array::<T>(len) else {
        return (0..len).map(f).collect();
    };
    let Some(block) = take(layout, false) else {
        return (0..len).map(f).collect();
    };
    // If `f` panics, the block goes back to the allocator; the elements written so far are
    // not dropped (they are `Copy` scalars in every use; for a type with drop glue they would
    // leak, never be read).
    struct Free {
        ptr: *mut u8,
        layout: Layout,
    }
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: the block was allocated by the global allocator with `layout`, and no
            // `Box` owns it yet.
            unsafe { dealloc(self.ptr, self.layout) };
        }
    }
    let guard = Free {
        ptr: block.ptr,
        layout,
    };
    let ptr = block.ptr.cast::<T>();
    for i in 0..len {
        // SAFETY: the block holds `len` elements of `T` (its layout is `Layout::array::<T>(len)`,
        // alignment included), and `i < len`.
        unsafe { ptr.add(i).write(f(i)) };
    }
    core::mem::forget(guard);
    // SAFETY: all `len` elements are initialised, and the memory was allocated by the global
    // allocator with `Layout::array::<T>(len)`, which is the layout `Box<[T]>` of that length
    // frees with.
    unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)) }
}

/// A boxed slice of `len` copies of `value`: [`boxed`] with a plain fill (a `memset` for zeros).
pub(crate) fn boxed_filled<T: Copy>(len: usize, value: T) -> Box<[T]> {
    let Ok(layout) = Layout::array::<T>(len) else {
        return vec![value; len].into_boxed_slice();
    };
    let Some(block) = take(layout, false) else {
        return vec![value; len].into_boxed_slice();
    };
    let ptr = block.ptr.cast::<core::mem::MaybeUninit<T>>();
    // SAFETY: the block holds `len` elements of `T` (layout `Layout::array::<T>(len)`), no one
    // else refers to it, and `MaybeUninit<T>` has `T`'s layout and no validity requirement.
    let slots = unsafe { core::slice::from_raw_parts_mut(ptr, len) };
    slots.fill(core::mem::MaybeUninit::new(value));
    // SAFETY: every element was just written; the memory was allocated by the global
    // allocator with the layout `Box<[T]>` of this length frees with.
    unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr.cast::<T>(), len)) }
}

/// A boxed slice of `len` floats whose values are whatever a recycled block held (any valid
/// `T`): for a buffer every element of which will be written or zeroed before it is read.
/// Zeros when no block that held floats of this layout is cached.
pub(crate) fn boxed_stale<T: Copy + 'static>(len: usize, zero: T) -> Box<[T]> {
    use core::any::TypeId;
    let float =
        TypeId::of::<T>() == TypeId::of::<f64>() || TypeId::of::<T>() == TypeId::of::<f32>();
    let block = match Layout::array::<T>(len) {
        Ok(layout) if float => take(layout, true),
        _ => None,
    };
    let Some(block) = block else {
        return boxed_filled(len, zero);
    };
    // SAFETY: `T` is `f32` or `f64`, for which every bit pattern is a valid value, and the block
    // last held initialised values of that width (`floats`); its layout is
    // `Layout::array::<T>(len)`, the one `Box<[T]>` of this length frees with.
    unsafe {
        Box::from_raw(core::ptr::slice_from_raw_parts_mut(
            block.ptr.cast::<T>(),
            len,
        ))
    }
}

/// Drops the elements of `b` and keeps its memory for [`boxed`] (or frees it when the cache is
/// full).
pub(crate) fn recycle<T>(b: Box<[T]>) {
    let layout = Layout::for_value::<[T]>(&b);
    let len = b.len();
    let ptr = Box::into_raw(b).cast::<T>();
    // SAFETY: `ptr` owns `len` initialised elements (it came from a `Box<[T]>`); after this
    // they are never read again.
    unsafe { core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(ptr, len)) };
    if layout.size() == 0 {
        // A zero-sized box owns no allocation.
        return;
    }
    let kept = with_cache(|c| {
        if layout.size() > MAX_BYTES {
            return false;
        }
        // A full cache forgets its oldest blocks first: what a loop frees is what it will ask
        // for next, and blocks of a phase that ended (another network's tensors) must not keep
        // the current one's out.
        while c.blocks.len() >= MAX_BLOCKS || c.bytes + layout.size() > MAX_BYTES {
            let old = c.blocks.remove(0);
            c.bytes -= old.layout.size();
            // SAFETY: the block was allocated by the global allocator with `old.layout` and is
            // owned by the cache alone (just removed from it).
            unsafe { dealloc(old.ptr, old.layout) };
        }
        c.blocks.push(Block {
            ptr: ptr.cast(),
            layout,
            floats: is_float::<T>(),
        });
        c.bytes += layout.size();
        true
    });
    if kept != Some(true) {
        // SAFETY: the memory came from the global allocator with `layout` (a `Box<[T]>`), and
        // its elements were dropped above.
        unsafe { dealloc(ptr.cast(), layout) };
    }
}

/// The number of blocks and bytes this thread keeps (for tests).
#[cfg(test)]
pub(crate) fn cached() -> (usize, usize) {
    with_cache(|c| (c.blocks.len(), c.bytes)).unwrap_or((0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_reused_for_the_same_layout_and_written_in_full() {
        let a: Box<[f64]> = boxed(1000, |i| i as f64);
        let p = a.as_ptr();
        recycle(a);
        let before = cached();
        let b: Box<[f64]> = boxed(1000, |i| -(i as f64));
        assert_eq!(b.as_ptr(), p, "the cached block is reused");
        assert!(b.iter().enumerate().all(|(i, &v)| v == -(i as f64)));
        assert_eq!(cached().0, before.0 - 1);
        // Another length gets a block of its own.
        let c: Box<[f64]> = boxed(999, |_| 1.0);
        assert_ne!(c.as_ptr(), b.as_ptr());
        recycle(b);
        recycle(c);
    }

    #[test]
    fn the_cache_is_bounded() {
        let blocks: Vec<Box<[u8]>> = (0..MAX_BLOCKS + 10).map(|_| boxed(64, |_| 0u8)).collect();
        blocks.into_iter().for_each(recycle);
        assert!(cached().0 <= MAX_BLOCKS);
        let big: Box<[u8]> = boxed(MAX_BYTES + 1, |_| 0);
        recycle(big);
        assert!(cached().1 <= MAX_BYTES);
    }

    #[test]
    fn a_full_cache_keeps_the_newest_blocks() {
        // Fill the cache with blocks of one layout, then free one of another: it is kept (the
        // oldest block goes), so a loop that moved on to other tensors still reuses its own.
        let old: Vec<Box<[u16]>> = (0..MAX_BLOCKS).map(|_| boxed(77, |_| 0u16)).collect();
        old.into_iter().for_each(recycle);
        let new: Box<[u16]> = boxed(91, |_| 1u16);
        let p = new.as_ptr();
        recycle(new);
        assert!(cached().0 <= MAX_BLOCKS);
        let again: Box<[u16]> = boxed(91, |_| 2u16);
        assert_eq!(again.as_ptr(), p, "the newest block is reused");
        recycle(again);
    }

    #[test]
    fn a_panic_while_filling_returns_nothing_half_written() {
        let a: Box<[f64]> = boxed(100, |_| 0.0);
        recycle(a);
        let n = cached().0;
        let r = std::panic::catch_unwind(|| {
            boxed::<f64>(100, |i| if i == 50 { panic!() } else { 1.0 })
        });
        assert!(r.is_err());
        // The block was freed, not put back half-written.
        assert_eq!(cached().0, n - 1);
    }
}
