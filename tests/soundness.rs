//! Regression tests for undefined behaviour and leaks reachable from safe code. CI also runs
//! this file under valgrind (`.ci/run`), where any invalid read or write, or leak, fails it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicIsize, Ordering};

use backprop::kernels::{self, Transpose};
use backprop::prelude::*;

/// Live `Counted` values, so a test can tell whether everything a forward pass made was dropped.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// A gradient-carrying value that counts its live copies (and owns heap memory, so a leak or a
/// double drop shows under valgrind too).
#[derive(Debug)]
struct Counted(Box<f64>);

impl Counted {
    fn new(x: f64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counted(Box::new(x))
    }
}
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(*self.0)
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}
impl Backprop for Counted {
    fn zero_like(&self) -> Self {
        Counted::new(0.0)
    }
    fn accumulate(&mut self, other: &Self) {
        *self.0 += *other.0;
    }
    fn one_like(&self) -> Self {
        Counted::new(1.0)
    }
}

/// A counted value computed from the scalar expression `x`, with its gradient.
macro_rules! counted {
    ($x:expr) => {
        op($x, |x: &f64| {
            (Counted::new(*x), |dy: &Counted, _: &f64| *dy.0)
        })
    };
}

/// The scalar inside a counted expression, with its gradient.
macro_rules! uncount {
    ($c:expr) => {
        op($c, |c: &Counted| {
            (*c.0, |d: &f64, _: &Counted| Counted::new(*d))
        })
    };
}

/// A backward closure of two operands, as `op2` takes it.
type Back2 = fn(&f64, &Counted, &f64) -> (Counted, f64);

/// The tests share `LIVE`: run them one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn live_after(run: impl FnOnce()) -> isize {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = LIVE.load(Ordering::SeqCst);
    let panicked = catch_unwind(AssertUnwindSafe(run)).is_err();
    assert!(panicked, "the computation was meant to panic");
    LIVE.load(Ordering::SeqCst) - before
}

#[test]
fn a_panic_in_a_user_closure_during_forward_drops_the_caches_already_written() {
    // `op2`: the first operand's cache (a Counted) is written, then the user's closure panics.
    let leaked = live_after(|| {
        let _ = grad(
            |x| {
                op2(counted!(x), x, |_: &Counted, _: &f64| -> (f64, Back2) {
                    panic!("user closure")
                })
            },
            &2.0_f64,
        );
    });
    assert_eq!(leaked, 0, "a panicking op2 leaked {leaked} cached values");
}

#[test]
fn a_panic_in_a_later_operand_drops_the_earlier_operands_caches() {
    // Binary node: operand a (holding a Counted) is written, operand b panics.
    let boom = |x: &f64| -> (f64, fn(&f64, &f64) -> f64) {
        if *x > 0.0 {
            panic!("operand b")
        }
        (*x, |d, _| *d)
    };
    let leaked = live_after(|| {
        let _ = grad(|x| uncount!(counted!(x)) + op(x, boom), &2.0_f64);
    });
    assert_eq!(leaked, 0);
    // Inside `.then`: the bound value and its cache are written, then the body panics.
    let leaked = live_after(|| {
        let _ = grad(|x| uncount!(counted!(x)).then(|u| op(u, boom)), &2.0_f64);
    });
    assert_eq!(leaked, 0);
    // A tuple of expressions: the first element's cache is written, the second panics.
    let leaked = live_after(|| {
        let _ = grad(
            |x| tuple((counted!(x), op(x, boom))).get_field(U1),
            &2.0_f64,
        );
    });
    assert_eq!(leaked, 0);
}

#[test]
fn a_panic_in_an_elementwise_map_drops_what_was_written() {
    let v = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
    let leaked = live_after(|| {
        let _ = grad(
            |v| {
                let c = counted!(v.sum());
                let m = v.map(|x| if x > 2.5 { panic!("map") } else { x }, |_, _| 1.0);
                uncount!(c) + m.sum()
            },
            &v,
        );
    });
    assert_eq!(leaked, 0);
}

#[test]
fn a_thousand_panicking_maps_leave_nothing_behind() {
    let xs: Vec<f64> = (0..50).map(f64::from).collect();
    for _ in 0..1000 {
        let leaked = live_after(|| {
            let _ = grad(
                |xs| {
                    xs.map_items(|x| {
                        let late = |c: &Counted| -> (f64, fn(&f64, &Counted) -> Counted) {
                            if *c.0 > 40.0 {
                                panic!("late item")
                            }
                            (*c.0, |d, _| Counted::new(*d))
                        };
                        op(counted!(x), late)
                    })
                    .sum_items()
                },
                &xs,
            );
        });
        assert_eq!(leaked, 0);
    }
}

#[test]
#[should_panic(expected = "gemm: buffers of 2, 4 and 2 elements do not hold")]
fn gemm_rejects_sizes_whose_products_wrap() {
    // m * k and m * n wrap to 2 in 64-bit arithmetic: with wrapping checks this call wrote far
    // past the 2-element `c`.
    let m = (1usize << 63) + 1;
    let (a, b, mut c) = ([0.0_f64; 2], [0.0_f64; 4], [0.0_f64; 2]);
    kernels::gemm(m, 2, 2, &a, &b, 0.0, &mut c, Transpose::None);
}

#[test]
#[should_panic(expected = "matvec: sizes do not match")]
fn matvec_rejects_sizes_whose_product_wraps() {
    let rows = (1usize << 63) + 1;
    let mut out = [0.0_f64; 2];
    kernels::matvec(&[0.0; 2], rows, 2, &[0.0; 2], &mut out);
}

#[test]
fn gemm_with_an_empty_inner_dimension_scales_c() {
    let mut c = [1.0_f64, 2.0];
    kernels::gemm(1, 0, 2, &[], &[], 3.0, &mut c, Transpose::None);
    assert_eq!(c, [3.0, 6.0]);
    kernels::gemm(1, 0, 2, &[], &[], 0.0, &mut c, Transpose::A);
    assert_eq!(c, [0.0, 0.0]);
}
