//! The laws of `Backprop`, as property tests over every provided instance.

use std::collections::{BTreeMap, HashMap};

use backprop::prelude::*;
use backprop::{Scalar, Scalars};
use proptest::prelude::*;

fn finite() -> impl Strategy<Value = f64> {
    -1e6..1e6
}

/// Identity (with a zero of the same shape), commutativity, associativity (to rounding), idempotence of zero and one, and
/// shape preservation.
fn laws<T: Backprop + PartialEq + std::fmt::Debug>(
    x: &T,
    y: &T,
    z: &T,
    approx: impl Fn(&T, &T) -> bool,
) -> Result<(), TestCaseError> {
    let plus = |a: &T, b: &T| {
        let mut s = a.clone();
        s.accumulate(b);
        s
    };
    prop_assert_eq!(&plus(x, &x.zero_like()), x, "identity");
    prop_assert_eq!(&plus(&x.zero_like(), x), x, "left identity");
    // Adding a zero of another value never loses data: for fixed shapes it is the identity,
    // for runtime shapes (Vec, Option, maps) it pads with zeros.
    let padded = plus(x, &y.zero_like());
    prop_assert_eq!(
        plus(&padded, &y.zero_like()),
        padded.clone(),
        "zero of y absorbs"
    );
    prop_assert_eq!(plus(x, y), plus(y, x), "commutativity");
    prop_assert!(
        approx(&plus(&plus(x, y), z), &plus(x, &plus(y, z))),
        "associativity"
    );
    prop_assert_eq!(x.zero_like().zero_like(), x.zero_like(), "zero idempotent");
    prop_assert_eq!(x.one_like().one_like(), x.one_like(), "one idempotent");
    let mut in_place = x.clone();
    in_place.set_zero();
    prop_assert_eq!(&in_place, &x.zero_like(), "set_zero is zero_like in place");
    Ok(())
}

/// A nested tuple with arrays: every composite instance at once.
type Nested = (f64, (f64, [f64; 2]), f64, f64, f64, [f64; 2]);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn close_all(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y))
}

proptest! {
    #[test]
    fn scalars(x in finite(), y in finite(), z in finite()) {
        laws(&x, &y, &z, |a, b| close(*a, *b))?;
        prop_assert_eq!((x.zero_like(), x.one_like()), (0.0, 1.0));
        // Rounding in f32 scales with the operands, not with a sum that may cancel to near zero.
        let scale = x.abs().max(y.abs()).max(z.abs()).max(1.0) as f32;
        laws(&(x as f32), &(y as f32), &(z as f32), |a, b| (a - b).abs() <= 1e-6 * scale)?;
    }

    #[test]
    fn vectors_and_matrices(a in prop::array::uniform4(finite()), b in prop::array::uniform4(finite()), c in prop::array::uniform4(finite())) {
        let v = |s: [f64; 4]| Vector::<f64, U4>::from(s);
        laws(&v(a), &v(b), &v(c), |p, q| close_all(p.as_slice(), q.as_slice()))?;
        let m = |s: [f64; 4]| Matrix::<f64, U2, U2>::from([[s[0], s[1]], [s[2], s[3]]]);
        laws(&m(a), &m(b), &m(c), |p, q| close_all(p.as_slice(), q.as_slice()))?;
        prop_assert_eq!(v(a).one_like(), Vector::filled(1.0));
    }

    #[test]
    fn tuples_and_arrays(x in finite(), y in finite(), z in finite(), w in finite()) {
        let t = |s: f64| (s, (s * 2.0, [s, -s]), s * 3.0, s + 1.0, s - 1.0, [s; 2]);
        let approx = |p: &Nested, q: &Nested| {
            close(p.0, q.0) && close(p.1 .0, q.1 .0) && close_all(&p.1 .1, &q.1 .1)
                && close(p.2, q.2) && close(p.3, q.3) && close(p.4, q.4) && close_all(&p.5, &q.5)
        };
        laws(&t(x), &t(y), &t(z + w), approx)?;
    }

    #[test]
    fn vecs_of_different_lengths_keep_every_element(a in prop::collection::vec(finite(), 0..6), b in prop::collection::vec(finite(), 0..6), c in prop::collection::vec(finite(), 0..6)) {
        laws(&a, &b, &c, |p, q| close_all(p, q))?;
        let mut s = a.clone();
        s.accumulate(&b);
        prop_assert_eq!(s.len(), a.len().max(b.len()));
        for (i, &si) in s.iter().enumerate() {
            let want = a.get(i).copied().unwrap_or(0.0) + b.get(i).copied().unwrap_or(0.0);
            prop_assert!(close(si, want));
        }
        prop_assert_eq!(a.zero_like().len(), a.len());
    }

    #[test]
    fn options(a in prop::option::of(finite()), b in prop::option::of(finite()), c in prop::option::of(finite())) {
        laws(&a, &b, &c, |p, q| match (p, q) { (Some(x), Some(y)) => close(*x, *y), (None, None) => true, _ => false })?;
        let mut s = a;
        s.accumulate(&b);
        prop_assert_eq!(s.is_some(), a.is_some() || b.is_some());
    }

    #[test]
    fn maps_union_their_keys(a in prop::collection::btree_map(0u8..6, finite(), 0..5), b in prop::collection::btree_map(0u8..6, finite(), 0..5), c in prop::collection::btree_map(0u8..6, finite(), 0..5)) {
        let approx = |p: &BTreeMap<u8, f64>, q: &BTreeMap<u8, f64>| p.len() == q.len() && p.iter().zip(q).all(|((k1, v1), (k2, v2))| k1 == k2 && close(*v1, *v2));
        laws(&a, &b, &c, approx)?;
        let mut s = a.clone();
        s.accumulate(&b);
        for k in a.keys().chain(b.keys()) {
            let want = a.get(k).copied().unwrap_or(0.0) + b.get(k).copied().unwrap_or(0.0);
            prop_assert!(close(s[k], want));
        }
        let h = |m: &BTreeMap<u8, f64>| m.iter().map(|(k, v)| (*k, *v)).collect::<HashMap<u8, f64>>();
        let happrox = |p: &HashMap<u8, f64>, q: &HashMap<u8, f64>| p.len() == q.len() && p.iter().all(|(k, v)| q.get(k).is_some_and(|w| close(*v, *w)));
        laws(&h(&a), &h(&b), &h(&c), happrox)?;
    }
}

/// The slice walk visits exactly the scalars of the scalar walk, in the same order, and its
/// mutable twin writes them in that order.
fn walks_agree<P: Scalars<f64> + Clone>(x: &P) {
    let mut scalars = vec![];
    x.for_each_scalar(&mut |v| scalars.push(v));
    let mut slices = vec![];
    x.for_each_slice(&mut |run| slices.extend_from_slice(run));
    assert_eq!(slices, scalars);
    // Numbering the scalars through the mutable slice walk is seen by the scalar walk in order.
    let mut y = x.clone();
    let mut n = 0.0;
    y.for_each_slice_mut(&mut |run| {
        for v in run {
            *v = n;
            n += 1.0;
        }
    });
    let mut seen = vec![];
    y.for_each_scalar(&mut |v| seen.push(v));
    assert_eq!(
        seen,
        (0..scalars.len()).map(|i| i as f64).collect::<Vec<_>>()
    );
}

#[derive(Backprop, Clone, Debug, PartialEq)]
struct Layer<T: Scalar> {
    w: Matrix<T, U2, U3>,
    b: Vector<T, U2>,
    scale: T,
}

#[derive(Backprop, Clone, Debug, PartialEq)]
struct Model(
    Layer<f64>,
    Vec<Vector<f64, U2>>,
    Option<f64>,
    BTreeMap<String, f64>,
);

#[test]
fn slice_walks_agree_with_scalar_walks_for_every_instance() {
    let layer = Layer {
        w: Matrix::from_fn(|r, c| (r * 3 + c) as f64 + 0.5),
        b: Vector::from([-1.0, -2.0]),
        scale: 7.0,
    };
    walks_agree(&3.0_f64);
    walks_agree(&layer.w);
    walks_agree(&layer);
    walks_agree(&(
        1.0_f64,
        (layer.b.clone(), [2.0_f64, 3.0]),
        vec![4.0_f64, 5.0],
    ));
    walks_agree(&Some(layer.clone()));
    walks_agree(&None::<Vector<f64, U2>>);
    walks_agree(&HashMap::from([
        (2u8, layer.b.clone()),
        (1u8, Vector::from([8.0, 9.0])),
    ]));
    let model = Model(
        layer.clone(),
        vec![Vector::from([1.0, 2.0]), Vector::from([3.0, 4.0])],
        Some(5.0),
        BTreeMap::from([("b".to_string(), 6.0), ("a".to_string(), 7.0)]),
    );
    walks_agree(&model);
    // A derived record zeroes in place, field by field, keeping its shape.
    let mut z = model.clone();
    z.set_zero();
    assert_eq!(z, model.zero_like());
    assert_eq!(z.1.len(), 2);
    assert_eq!(z.3.len(), 2);
}
