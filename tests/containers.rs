//! Containers inside expressions: sequences (Vec and arrays) mapped and reduced, key-value maps
//! looked up, Options read with a default; gradients reach every element. Includes the known
//! traps of the Haskell library: `product` with a zero, `maximum` with ties.

mod common;
use std::collections::{BTreeMap, HashMap};

use backprop::prelude::*;
use common::{close, values};

#[test]
fn sequences_mapped_and_reduced() {
    for (seed, &(lo, hi)) in [(-1.0, 1.0), (-10.0, 3.0), (0.1, 50.0)].iter().enumerate() {
        let xs = values(seed as u64, 5, lo, hi);
        assert_grad!(|xs| xs.sum_items() * xs.product(), &xs);
        assert_grad!(|xs| xs.map_items(|x| x.sin() * x).sum_items(), &xs);
        assert_grad!(|xs| xs.maximum() - xs.minimum() * 2.0, &xs);
        assert_grad!(
            |xs| xs.map_items(|x| x.exp()).sum_items().ln() / xs.length(),
            &xs
        );
        assert_grad!(|xs| xs.fold(constant(&1.0), |(h, x)| h * x.tanh() + x), &xs);
        let p: f64 = xs.iter().product();
        assert!(close(eval(|xs| xs.product(), &xs), p, 1e-14));
        let m = xs.iter().copied().fold(f64::MIN, f64::max);
        assert_eq!(eval(|xs| xs.maximum(), &xs), m);
    }
    // Arrays work the same.
    let arr = [0.5_f64, -1.5, 2.0];
    assert_grad!(
        |xs| xs.product() + xs.map_items(|x| x * x).sum_items(),
        &arr
    );
    assert_eq!(
        eval(|xs| xs.map_items(|x| x * 2.0), &arr),
        vec![1.0, -3.0, 4.0]
    );
}

#[test]
fn product_with_zeros_has_the_exact_gradient() {
    // one zero: only its own partial derivative is non-zero
    assert_eq!(
        grad(|xs| xs.product(), &vec![0.0_f64, 2.0, 3.0]),
        vec![6.0, 0.0, 0.0]
    );
    // two zeros: every partial derivative is zero
    assert_eq!(
        grad(|xs| xs.product(), &vec![0.0_f64, 2.0, 0.0]),
        vec![0.0, 0.0, 0.0]
    );
    assert!(check_grad(|xs| xs.product(), &vec![0.0_f64, 2.0, 3.0], 1e-6).passed(1e-8));
    // empty: the product is 1, the sum is the default
    assert_eq!(
        value_and_grad(|xs| xs.product(), &Vec::<f64>::new()),
        (1.0, vec![])
    );
}

#[test]
fn extremes_with_ties_give_the_gradient_to_one_element() {
    let xs = vec![1.0_f64, 3.0, 3.0, -2.0, -2.0];
    assert_eq!(grad(|xs| xs.maximum(), &xs), vec![0.0, 1.0, 0.0, 0.0, 0.0]);
    assert_eq!(grad(|xs| xs.minimum(), &xs), vec![0.0, 0.0, 0.0, 1.0, 0.0]);
    let total: f64 = grad(|xs| xs.maximum() + xs.minimum(), &xs).iter().sum();
    assert_eq!(total, 2.0);
    assert!(eval(|xs| xs.maximum(), &Vec::<f64>::new()).is_nan());
}

#[test]
fn sequences_of_tensors() {
    let xs: Vec<Vector<f64, U3>> = (0..4)
        .map(|k| Vector::try_from_vec(values(10 + k, 3, -1.0, 1.0)).unwrap())
        .collect();
    let w = Vector::<f64, U3>::from([0.5, -1.0, 2.0]);
    assert_grad!(
        |xs| xs.map_items(|x| x.tanh()).sum_items().dot(constant(&w)),
        &xs
    );
    assert_grad!(|xs| xs.map_items(|x| x.dot(x)).product(), &xs);
}

#[test]
fn maps_looked_up_by_key() {
    let m: HashMap<String, f64> = [("a".to_string(), 1.5), ("b".to_string(), -2.0)].into();
    let (a, b, c) = ("a".to_string(), "b".to_string(), "c".to_string());
    let zero = 0.0;
    let (y, g) = value_and_grad(
        |m| m.lookup_or(&a, &zero) * m.lookup_or(&b, &zero) + m.lookup_or(&c, &zero),
        &m,
    );
    assert_eq!(y, -3.0);
    assert_eq!(
        g,
        HashMap::from([("a".to_string(), -2.0), ("b".to_string(), 1.5)])
    );
    assert_eq!(eval(|m| m.lookup(&c), &m), None);
    assert_eq!(eval(|m| m.lookup(&a), &m), Some(1.5));
    let bm: BTreeMap<u8, Vector<f64, U2>> = BTreeMap::from([
        (1, Vector::from([1.0, 2.0])),
        (2, Vector::from([-1.0, 0.5])),
    ]);
    let d = Vector::<f64, U2>::zeros();
    assert_grad!(|m| m.lookup_or(&1, &d).dot(m.lookup_or(&2, &d)).exp(), &bm);
}

/// A map keyed by `String` is looked up with a borrowed key (`&str`), as with `HashMap::get`:
/// a literal key and a literal default need no binding outside the closure.
#[test]
fn string_keyed_maps_are_looked_up_by_str() {
    let person: HashMap<String, f64> =
        [("age".to_string(), 30.0), ("height".to_string(), 1.8)].into();
    let (y, g) = value_and_grad(
        |p| p.lookup_or("age", &0.0) * p.lookup_or("height", &0.0) + p.lookup_or("weight", &1.0),
        &person,
    );
    assert_eq!(y, 30.0 * 1.8 + 1.0);
    assert_eq!(
        g,
        HashMap::from([("age".to_string(), 1.8), ("height".to_string(), 30.0)])
    );
    assert_eq!(eval(|p| p.lookup("age"), &person), Some(30.0));
    let tree: BTreeMap<String, Vector<f64, U2>> =
        BTreeMap::from([("w".to_string(), Vector::from([1.0, -2.0]))]);
    // A default that is not a constant expression is bound outside (the node borrows it).
    let d = Vector::zeros();
    assert_grad!(|t| t.lookup_or("w", &d).tanh().sum(), &tree);
    assert_eq!(eval(|t| t.lookup("v"), &tree), None);
}

#[derive(Backprop, Clone, Debug)]
struct Model {
    w: Vector<f64, U2>,
    scale: Option<f64>,
    named: BTreeMap<String, f64>,
}

#[test]
fn records_with_options_and_maps() {
    let model = Model {
        w: Vector::from([0.3, -0.7]),
        scale: Some(2.0),
        named: BTreeMap::from([("bias".to_string(), 0.25)]),
    };
    let x = Vector::<f64, U2>::from([1.0, 2.0]);
    let (one, zero, bias) = (1.0, 0.0, "bias".to_string());
    let loss = |m: Placeholders<Model>| {
        (m.w.dot(constant(&x)) * m.scale.unwrap_or(&one) + m.named.lookup_or(&bias, &zero)).tanh()
    };
    assert_grad!(loss, &model);
    let g = grad(loss, &model);
    assert!(g.scale.is_some() && g.named.contains_key("bias"));
    let no_scale = Model {
        scale: None,
        ..model
    };
    let g = grad(loss, &no_scale);
    assert_eq!(g.scale, None);
}

#[test]
fn map_values_of_maps() {
    let m: HashMap<String, Vector<f64, U2>> = HashMap::from([
        ("a".to_string(), Vector::from([0.5, -1.0])),
        ("b".to_string(), Vector::from([2.0, 0.25])),
    ]);
    let (a, b) = ("a".to_string(), "b".to_string());
    let d = Vector::<f64, U2>::zeros();
    type Named = HashMap<String, Vector<f64, U2>>;
    let f = |m: backprop::entry::Placeholders<Named>| {
        m.map_values(|v| v.tanh() * v)
            .then(|t| t.lookup_or(&a, &d).dot(t.lookup_or(&b, &d)))
    };
    let y = eval(f, &m);
    let ta = m["a"].map(|v| v.tanh() * v);
    let tb = m["b"].map(|v| v.tanh() * v);
    assert!(close(y, ta[0] * tb[0] + ta[1] * tb[1], 1e-14));
    let bm: BTreeMap<String, Vector<f64, U2>> = m.into_iter().collect();
    assert_grad!(
        |m| m
            .map_values(|v| v.exp().sum())
            .then(|t| t.lookup_or(&a, &0.0) * t.lookup_or(&b, &0.0)),
        &bm
    );
}
