//! No tape, checked: an expression is a zero-sized value, and running it forward and backward
//! allocates nothing when its shapes are small (everything lives on the stack, in the node
//! caches), just as straight-line code would.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use backprop::entry::Placeholders;
use backprop::expr::Input;
use backprop::prelude::*;
use static_assertions::{assert_eq_size, assert_impl_all, assert_not_impl_any};

/// Counts heap allocations made by the current thread (tests run on several threads).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// The size of the expression a closure builds (its tree of nodes).
fn tree_size<In: Input, F, N>(f: F) -> usize
where
    F: FnOnce(Placeholders<In>) -> Ex<N>,
{
    std::mem::size_of_val(&f(In::placeholder()))
}

type Net = (
    Matrix<f64, U16, U2>,
    Vector<f64, U16>,
    Matrix<f64, U16, U16>,
    Vector<f64, U16>,
    Matrix<f64, U1, U16>,
    Vector<f64, U1>,
);

fn small_net() -> Net {
    let w = |r: usize, c: usize| ((r * 31 + c * 17) % 13) as f64 / 13.0 - 0.5;
    (
        Matrix::from_fn(w),
        Vector::from_fn(|i| w(i, 1)),
        Matrix::from_fn(w),
        Vector::from_fn(|i| w(i, 2)),
        Matrix::from_fn(w),
        Vector::from_fn(|i| w(i, 3)),
    )
}

assert_impl_all!(Placeholders<f64>: Copy, Send, Sync);
assert_eq_size!(Placeholders<Matrix<f64, U300, U784>>, ());
// Tensor storage is sized by the type, with no tag and no padding: up to 16 elements an array
// of exactly the tensor's length, above that a boxed slice (a pointer and a length).
assert_eq_size!(Vector<f64, U16>, [f64; 16]);
assert_eq_size!(Vector<f64, U1>, f64);
assert_eq_size!(Vector<f32, U3>, [f32; 3]);
assert_eq_size!(Vector<f64, U0>, ());
assert_eq_size!(Matrix<f64, U4, U4>, [f64; 16]);
assert_eq_size!(Matrix<f32, U1, U16>, [f32; 16]);
assert_eq_size!(Matrix<f64, U16, U1>, [f64; 16]);
assert_eq_size!(Matrix<f64, U3, U5>, [f64; 15]);
assert_eq_size!(Matrix<f64, U2, U9>, Box<[f64]>);
assert_eq_size!(Matrix<f64, U17, U1>, Box<[f64]>);
assert_eq_size!(Matrix<f64, U300, U784>, Box<[f64]>);
assert_eq_size!(Vector<f64, U17>, Box<[f64]>);
assert_eq_size!(Vector<f32, typenum::U3>, Box<[f32]>);
assert_eq_size!(Vector<f32, U16>, [f32; 16]);
assert_impl_all!(Vector<f64, U3>: Send, Sync, Unpin, std::panic::UnwindSafe);
assert_impl_all!(Matrix<f32, U300, U784>: Send, Sync, Unpin, std::panic::RefUnwindSafe);
assert_not_impl_any!(Vector<std::rc::Rc<f64>, U3>: Send, Sync);
assert_not_impl_any!(Matrix<std::cell::Cell<f64>, U30, U30>: Sync);

#[test]
fn expressions_over_placeholders_are_zero_sized() {
    assert_eq!(tree_size::<f64, _, _>(|x| x.sin() * x + x.exp()), 0);
    let size = tree_size::<(Net, Vector<f64, U2>), _, _>(|((w1, b1, w2, b2, w3, b3), x)| {
        let h1 = (w1.matvec(x) + b1).tanh();
        let h2 = (w2.matvec(h1) + b2).tanh();
        (w3.matvec(h2) + b3).tanh().sum()
    });
    assert_eq!(size, 0);
    // A tree holds exactly its literals: here the exponent (an i32) and the 2.0 (an f64).
    assert_eq!(tree_size::<f64, _, _>(|x| x.powi(3) * 2.0), 16);
}

#[test]
fn a_scalar_expression_allocates_nothing() {
    let n = allocations_in(|| {
        let (y, g) = value_and_grad(|x| x.sin() * x + x.exp(), &0.5_f64);
        std::hint::black_box((y, g));
    });
    assert_eq!(n, 0);
}

#[test]
fn a_2_16_16_1_network_step_allocates_nothing_with_a_kept_gradient() {
    let net = small_net();
    let x = Vector::<f64, U2>::from([0.3, -0.8]);
    let t = Vector::<f64, U1>::from([0.25]);
    let loss = |(w1, b1, w2, b2, w3, b3): Placeholders<Net>| {
        let h1 = (w1.matvec(constant(&x)) + b1).tanh();
        let h2 = (w2.matvec(h1) + b2).tanh();
        squared_error(w3.matvec(h2) + b3, constant(&t))
    };
    let mut g = small_net().zero_like();
    let n = allocations_in(|| {
        for _ in 0..10 {
            std::hint::black_box(
                value_and_grad_acc(loss, &net, &mut g)
                    .expect("the gradient buffer has the parameters' shape"),
            );
        }
    });
    assert_eq!(n, 0, "heap allocations in 10 gradient steps");
    // And the gradient it computes is right.
    let report = check_grad(loss, &net, 1e-6);
    assert!(report.passed(1e-6), "{report}");
}

/// A record mixing tensors, a scalar, a `Vec`, an `Option` and maps.
#[derive(Backprop, Clone, Debug, PartialEq)]
struct Mixed {
    w: Matrix<f64, U16, U16>,
    b: Vector<f64, U16>,
    s: f64,
    items: Vec<Vector<f64, U3>>,
    gain: Option<f64>,
    named: std::collections::BTreeMap<String, f64>,
    hashed: std::collections::HashMap<u8, Vector<f64, U2>>,
}

fn mixed(k: f64) -> Mixed {
    Mixed {
        w: Matrix::from_fn(|r, c| k * (r as f64 - c as f64)),
        b: Vector::from_fn(|i| k + i as f64),
        s: 2.0 * k,
        items: vec![Vector::filled(k), Vector::from([1.0, k, -k])],
        gain: Some(k - 1.0),
        named: [("a".to_string(), k), ("b".to_string(), -k)].into(),
        hashed: [(1, Vector::from([k, 1.0])), (7, Vector::from([0.5, -k]))].into(),
    }
}

#[test]
fn axpy_updates_a_record_in_place_without_allocating() {
    let (mut p, x) = (mixed(0.5), mixed(-1.25));
    // The expected result, scalar by scalar (the walk visits both in the same order).
    let mut expected = Vec::new();
    let mut xs = Vec::new();
    x.for_each_scalar(&mut |v| xs.push(v));
    let mut at = 0;
    p.for_each_scalar(&mut |v| {
        expected.push(v + 0.3 * xs[at]);
        at += 1;
    });
    let n = allocations_in(|| {
        for _ in 0..10 {
            p.axpy(0.3, &x).expect("same shape");
            p.axpy(-0.3, &x).expect("same shape");
        }
        p.axpy(0.3, &x).expect("same shape");
    });
    assert_eq!(n, 0, "heap allocations in 21 axpy calls");
    let mut got = Vec::new();
    p.for_each_scalar(&mut |v| got.push(v));
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{g} vs {e}");
    }
    // A buffer of another shape is refused, and nothing changes.
    let before = p.clone();
    let mut other = mixed(1.0);
    other.items.pop();
    assert!(p.axpy(1.0, &other).is_err());
    assert_eq!(p, before);
}
