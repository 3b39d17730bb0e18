//! Gradients written once (ledger mode, see `expr::ledger`): `value_and_grad_into` over a buffer
//! full of garbage, and `value_and_grad` over recycled memory, give exactly the gradient of the
//! plain way (a zeroed buffer, every contribution added), whatever the buffer held, for every
//! shape of use: a leaf used once or several times, a leaf not used at all, leaves written by
//! products, maps, `dense` layers, custom ops, inside records; and the cases that fall back to
//! the plain way (bodies, whole records, more leaves than the ledger tracks, an entry point
//! called inside another's backward pass).

use backprop::entry::writes_once;
use backprop::nn::Dense;
use backprop::ops::map::{Logistic, Tanh};
use backprop::prelude::*;
use backprop::Scalars;

/// Fills every scalar of `g` with `v`.
fn fill<P: Scalars<f64>>(g: &mut P, v: f64) {
    g.for_each_slice_mut(&mut |s| s.fill(v));
}

/// The scalars of `p`, in walk order.
fn flat<P: Scalars<f64>>(p: &P) -> Vec<f64> {
    let mut out = vec![];
    p.for_each_slice(&mut |s| out.extend_from_slice(s));
    out
}

fn values(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

fn mat<R: backprop::Dim, C: backprop::Dim>(seed: u64) -> Matrix<f64, R, C> {
    Matrix::try_from_vec(values(seed, R::USIZE * C::USIZE)).unwrap()
}

fn vector<N: backprop::Dim>(seed: u64) -> Vector<f64, N> {
    Vector::try_from_vec(values(seed, N::USIZE)).unwrap()
}

/// Checks `value_and_grad_into` from buffers of NaN, of huge values and of the previous
/// gradient, and `value_and_grad`, against `value_and_grad_acc` into zeros; and that the
/// computation does (or does not) run in ledger mode.
macro_rules! same_gradient {
    ($p:expr, $writes_once:expr, $f:expr) => {{
        let p = $p;
        let mut want = p.zero_like();
        let y = value_and_grad_acc($f, &p, &mut want).unwrap();
        assert_eq!(writes_once($f, &p), $writes_once, "ledger mode");
        for garbage in [f64::NAN, 1e300, -7.0] {
            let mut g = p.zero_like();
            fill(&mut g, garbage);
            let y2 = value_and_grad_into($f, &p, &mut g).unwrap();
            assert_eq!(y2, y);
            assert_eq!(flat(&g), flat(&want), "from a buffer of {garbage}");
            // Again over the gradient just computed (a training loop's buffer).
            value_and_grad_into($f, &p, &mut g).unwrap();
            assert_eq!(flat(&g), flat(&want), "over the previous gradient");
        }
        // Fresh gradients over recycled memory: make garbage of the right sizes, drop it, and
        // take a fresh gradient (its blocks come from the cache).
        for _ in 0..3 {
            {
                let mut junk = p.zero_like();
                fill(&mut junk, f64::NAN);
            }
            let (y3, g) = value_and_grad($f, &p);
            assert_eq!(y3, y);
            assert_eq!(flat(&g), flat(&want), "fresh gradient");
        }
        want
    }};
}

type Net = (
    Matrix<f64, U30, U20>,
    Vector<f64, U30>,
    Matrix<f64, U4, U30>,
    Vector<f64, U4>,
);

fn net() -> Net {
    (mat(1), vector(2), mat(3), vector(4))
}

#[test]
fn a_network_of_products_maps_and_a_loss_writes_each_gradient_once() {
    let x: Vector<f64, U20> = vector(5);
    let t = Vector::<f64, U4>::from([0.0, 1.0, 0.0, 0.0]);
    let g = same_gradient!(net(), true, |(w1, b1, w2, b2): Placeholders<Net>| {
        let h = (w1.matvec(constant(&x)) + b1).tanh();
        softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
    });
    // Against central differences, so the reference itself is right.
    let report = check_grad(
        |(w1, b1, w2, b2): Placeholders<Net>| {
            let h = (w1.matvec(constant(&x)) + b1).tanh();
            softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
        },
        &net(),
        1e-6,
    );
    assert!(report.passed(1e-6), "{report}");
    assert!(flat(&g).iter().all(|v| v.is_finite()));
}

#[test]
fn a_leaf_used_twice_gets_both_contributions_and_an_unused_leaf_gets_zero() {
    let x: Vector<f64, U20> = vector(6);
    // w1 is used twice (and written first by one use, then added to by the other); b2 is not
    // used at all, so its slot keeps the garbage unless it is zeroed.
    let g = same_gradient!(net(), true, |(w1, b1, w2, _b2): Placeholders<Net>| {
        let h = (w1.matvec(constant(&x)) + b1).logistic();
        let k = (w1 * 0.5).matvec(constant(&x));
        w2.matvec(h).sum() + k.dot(h)
    });
    assert!(flat(&g.3).iter().all(|&v| v == 0.0));
}

#[test]
fn scalars_dense_layers_and_custom_ops_write_once() {
    let x: Vector<f64, U20> = vector(7);
    type P = (Dense<f64, U20, U30>, Dense<f64, U30, U4>, f64);
    let p: P = (
        Dense {
            w: mat(8),
            b: vector(9),
        },
        Dense {
            w: mat(10),
            b: vector(11),
        },
        0.7,
    );
    same_gradient!(p.clone(), true, |(l1, l2, s): Placeholders<P>| {
        let h = constant(&x)
            .dense(l1.w, l1.b, Tanh)
            .dense(l2.w, l2.b, Logistic);
        let scaled = op(s, |s: &f64| (s * s, move |dy: &f64, s: &f64| 2.0 * s * dy));
        h.sum() * scaled + s
    });
}

#[test]
fn batched_products_write_once() {
    type P = (Matrix<f64, U5, U3>, Vector<f64, U5>);
    let x: Matrix<f64, U4, U3> = mat(12);
    let p: P = (mat(13), vector(14));
    same_gradient!(p, true, |(w, b): Placeholders<P>| {
        let z = constant(&x).matmul_t(w).add_row(b).logistic();
        z.matmul(w).sum() + z.sum()
    });
}

#[test]
fn derived_records_write_once_and_whole_records_fall_back() {
    #[derive(Backprop, Clone, Debug)]
    struct Layer {
        w: Matrix<f64, U4, U20>,
        b: Vector<f64, U4>,
        unused: Vector<f64, U3>,
        scale: f64,
        unused_scale: f64,
    }
    let x: Vector<f64, U20> = vector(15);
    let p = Layer {
        w: mat(16),
        b: vector(17),
        unused: vector(18),
        scale: 1.5,
        unused_scale: 2.5,
    };
    let g = same_gradient!(p.clone(), true, |l: Placeholders<Layer>| {
        ((l.w.matvec(constant(&x)) + l.b) * l.scale).tanh().sum()
    });
    assert!(flat(&g.unused).iter().all(|&v| v == 0.0));
    assert_eq!(g.unused_scale, 0.0);
    // The whole record as one value (overlapping its fields' slots): zeroed and added into.
    same_gradient!(p, false, |l: Placeholders<Layer>| {
        let w = l.whole().get_field(U0);
        w.sum() + l.w.matvec(constant(&x)).sum()
    });
}

#[test]
fn bodies_and_containers_fall_back_to_zero_and_add() {
    type P = (Vector<f64, U3>, Vec<f64>);
    let p: P = (vector(19), vec![0.5, -1.0, 2.0]);
    same_gradient!(p, false, |(v, xs): Placeholders<P>| {
        let s = xs.sum_items();
        (v.sum(), s).then(|(a, b)| a * b + a)
    });
}

/// `t.0^2 + sin t.1` for a pair of placeholders.
macro_rules! pair {
    ($t:expr) => {
        $t.0 * $t.0 + $t.1.sin()
    };
}
/// The sum over six pairs, as a balanced tree.
macro_rules! six {
    ($r:expr, $m:ident) => {
        (($m!($r.0) + $m!($r.1)) + ($m!($r.2) + $m!($r.3))) + ($m!($r.4) + $m!($r.5))
    };
}
macro_rules! row {
    ($r:expr) => {
        six!($r, pair)
    };
}

#[test]
fn more_leaves_than_the_ledger_tracks_run_again_the_plain_way() {
    // 6 x 6 x 2 = 72 scalar leaves, all used: past the ledger's 64.
    type Six<T> = (T, T, T, T, T, T);
    type P = Six<Six<(f64, f64)>>;
    let mut p: P = Default::default();
    let mut k = 0.0;
    p.for_each_slice_mut(&mut |s| {
        for v in s {
            k += 1.0;
            *v = k / 10.0;
        }
    });
    let want = same_gradient!(p, true, |q: Placeholders<P>| six!(q, row));
    // d/dx of x^2 at 0.1 is 0.2; of sin y at 0.2 is cos 0.2.
    assert_eq!(((want.0).0).0, 0.2);
    assert_eq!(((want.0).0).1, 0.2_f64.cos());
    assert_eq!(((want.5).5).0, 2.0 * 7.1);
}

#[test]
fn an_entry_point_inside_a_backward_pass_keeps_its_own_bookkeeping() {
    type P = (Vector<f64, U3>, Vector<f64, U3>);
    let p: P = (vector(20), vector(21));
    // The custom op's backward closure calls `grad` and `value_and_grad_acc` itself, while the
    // outer pass runs in ledger mode.
    same_gradient!(p, true, |(a, b): Placeholders<P>| {
        let inner = op(a, |a: &Vector<f64, U3>| {
            let y = eval(|v| v.dot(v), a);
            (y, move |dy: &f64, a: &Vector<f64, U3>| {
                let g = grad(|v| v.dot(v), a);
                let mut acc = Vector::filled(1.0);
                value_and_grad_acc(|v| v.sum(), a, &mut acc).unwrap();
                // acc is ones + ones: the nested accumulation added, as it must.
                assert_eq!(acc, Vector::filled(2.0));
                let dy = *dy;
                g.map(|v| v * dy)
            })
        });
        inner + a.dot(b) + b.sum()
    });
}
