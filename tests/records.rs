//! Derived records: the gradient algebra, field access inside closures (nested, generic, in a
//! tuple input), and gradients that come back as the same record type.

mod common;
use backprop::prelude::*;
use common::{close, matrix, vector};

#[derive(Backprop, Clone)]
struct Layer<T, I: Dim, O: Dim> {
    w: Matrix<T, O, I>,
    b: Vector<T, O>,
}

#[derive(Backprop, Clone)]
struct Net {
    l1: Layer<f64, U4, U3>,
    l2: Layer<f64, U3, U2>,
}

#[derive(Backprop, Clone, Debug, PartialEq)]
struct Affine(Matrix<f64, U2, U2>, Vector<f64, U2>, f64);

fn net() -> Net {
    Net {
        l1: Layer {
            w: matrix(1, -1.0, 1.0),
            b: vector(2, -0.5, 0.5),
        },
        l2: Layer {
            w: matrix(3, -1.0, 1.0),
            b: vector(4, -0.5, 0.5),
        },
    }
}

#[test]
fn the_issue_example() {
    let net = net();
    let x = vector::<U4>(5, 0.0, 1.0);
    let t = Vector::<f64, U2>::from([0.0, 1.0]);
    let g: Net = grad(
        |net| {
            let h = (net.l1.w.matvec(constant(&x)) + net.l1.b).logistic();
            softmax_cross_entropy(net.l2.w.matvec(h) + net.l2.b, constant(&t))
        },
        &net,
    );
    // The same computation with the record flattened into a tuple.
    let flat = (
        net.l1.w.clone(),
        net.l1.b.clone(),
        net.l2.w.clone(),
        net.l2.b.clone(),
    );
    let gf = grad(
        |(w1, b1, w2, b2)| {
            let h = (w1.matvec(constant(&x)) + b1).logistic();
            softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
        },
        &flat,
    );
    assert_eq!((g.l1.w, g.l1.b, g.l2.w, g.l2.b), gf);

    let (loss, (g_net, g_x)) = value_and_grad(
        |(net, x)| {
            let h = (net.l1.w.matvec(x) + net.l1.b).logistic();
            softmax_cross_entropy(net.l2.w.matvec(h) + net.l2.b, constant(&t))
        },
        &(net.clone(), x.clone()),
    );
    assert!(loss.is_finite());
    assert_eq!(g_net.l2.b, gf.3);
    let report = check_grad(
        |(net, x)| {
            let h = (net.l1.w.matvec(x) + net.l1.b).logistic();
            softmax_cross_entropy(net.l2.w.matvec(h) + net.l2.b, constant(&t))
        },
        &(net, x),
        1e-6,
    );
    assert!(report.passed(1e-7), "{report}");
    assert!(g_x.iter().any(|&v| v != 0.0));
}

#[test]
fn tuple_structs_and_scalars_in_records() {
    let a = Affine(matrix(7, -1.0, 1.0), vector(8, -1.0, 1.0), 0.7);
    let v = vector::<U2>(9, -1.0, 1.0);
    let f = |a: Placeholders<Affine>| (a.0.matvec(constant(&v)) + a.1).tanh().sum() * a.2;
    let (y, g) = value_and_grad(f, &a);
    let z = [0, 1].map(|r| (a.0[(r, 0)] * v[0] + a.0[(r, 1)] * v[1] + a.1[r]).tanh());
    assert!(close(y, (z[0] + z[1]) * 0.7, 1e-14));
    assert!(close(g.2, z[0] + z[1], 1e-14));
    assert!(check_grad(f, &a, 1e-6).passed(1e-7));
}

#[test]
fn the_derived_algebra_works_field_by_field() {
    let n = net();
    let mut s = n.zero_like();
    assert_eq!(s.l1.w, Matrix::zeros());
    s.accumulate(&n);
    s.accumulate(&n);
    assert_eq!(s.l2.b, Vector::from_fn(|i| 2.0 * n.l2.b[i]));
    assert_eq!(n.one_like().l1.b, Vector::filled(1.0));
    let mut count = 0;
    n.for_each_scalar(&mut |_| count += 1);
    assert_eq!(count, 12 + 3 + 6 + 2);
}

#[test]
fn fields_replaced_and_transformed_as_expressions() {
    let n = net();
    let x = vector::<U4>(5, 0.0, 1.0);
    // Scale the second layer's bias by 3 inside the computation, then run the network on the
    // changed record: d/db2 is 3 times the plain gradient.
    let scaled = |net: backprop::entry::Placeholders<Net>| {
        net.whole()
            .over_field(U1, |l2| l2.over_field(U1, |b| b * 3.0))
            .then(|net| {
                (net.l2
                    .w
                    .matvec((net.l1.w.matvec(constant(&x)) + net.l1.b).tanh())
                    + net.l2.b)
                    .sum()
            })
    };
    let plain = |net: backprop::entry::Placeholders<Net>| {
        (net.l2
            .w
            .matvec((net.l1.w.matvec(constant(&x)) + net.l1.b).tanh())
            + net.l2.b * 3.0)
            .sum()
    };
    let (ys, gs) = value_and_grad(scaled, &n);
    let (yp, gp) = value_and_grad(plain, &n);
    assert!(close(ys, yp, 1e-14));
    assert!(gs.l2.b.approx_eq(&gp.l2.b, 1e-15) && gs.l1.w.approx_eq(&gp.l1.w, 1e-15));
    let report = check_grad(scaled, &n, 1e-6);
    assert!(report.passed(1e-6), "{report}");
    // Replacing a field cuts the gradient to the old value.
    let replaced = |net: backprop::entry::Placeholders<Net>| {
        net.whole()
            .set_field(U0, net.l1.whole())
            .get_field(U1)
            .get_field(U1)
            .sum()
    };
    let g = grad(replaced, &n);
    assert_eq!(g.l2.b, Vector::filled(1.0));
    assert_eq!(g.l1.b, Vector::zeros());
}

/// Arithmetic on records, as Haskell's `gradDescent` uses it (`n0 - 0.1 * g`): field by field,
/// with the number on either side, for generic and tuple-struct records, in f32 too; and
/// `axpy` in place.
#[test]
fn records_have_arithmetic() {
    let n0 = net();
    let g = Net {
        l1: Layer {
            w: matrix(5, -1.0, 1.0),
            b: vector(6, -1.0, 1.0),
        },
        l2: Layer {
            w: matrix(7, -1.0, 1.0),
            b: vector(8, -1.0, 1.0),
        },
    };
    let n1 = n0.clone() - 0.1 * g.clone();
    let expect = |a: &[f64], b: &[f64], c: &[f64]| {
        for ((x, y), z) in a.iter().zip(b).zip(c) {
            assert!((x - 0.1 * y - z).abs() < 1e-15);
        }
    };
    expect(n0.l1.w.as_slice(), g.l1.w.as_slice(), n1.l1.w.as_slice());
    expect(n0.l2.b.as_slice(), g.l2.b.as_slice(), n1.l2.b.as_slice());
    let n2 = n0.clone() + g.clone() * -0.1;
    assert_eq!(n2.l1.w, n1.l1.w);
    assert_eq!((-n0.clone()).l2.w, n0.l2.w.clone() * -1.0);
    let mut n3 = n0.clone();
    n3.axpy(-0.1, &g).unwrap();
    assert!(n3.l1.b.approx_eq(&n1.l1.b, 1e-15)); // axpy may fuse the multiply-add

    let a = Affine(Matrix::filled(1.0), Vector::filled(2.0), 3.0);
    assert_eq!(
        a.clone() - a.clone() * 0.5,
        Affine(Matrix::filled(0.5), Vector::filled(1.0), 1.5)
    );
    #[derive(Backprop, Clone, Debug, PartialEq)]
    struct Small32 {
        w: Vector<f32, U2>,
        c: f32,
    }
    let s = Small32 {
        w: Vector::from([1.0, 2.0]),
        c: 4.0,
    };
    assert_eq!(
        2.0 * s.clone() - s.clone(),
        s.clone() // an f32 record scales by an f64 number, converted
    );
    // A record whose first field is a map still derives (and adds).
    #[derive(Backprop, Clone, Debug, PartialEq)]
    struct Named {
        by_name: std::collections::BTreeMap<String, f64>,
        bias: f64,
    }
    let m = Named {
        by_name: [("a".to_string(), 1.0)].into_iter().collect(),
        bias: 0.5,
    };
    assert_eq!((m.clone() + m.clone()).bias, 1.0);
    assert_eq!((m.clone() * 2.0).by_name["a"], 2.0);
}
