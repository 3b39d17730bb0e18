//! Mini-batches: the batch gradient computed with matrix-matrix products equals the sum of the
//! per-sample gradients, and the data-parallel gradient does not depend on the thread count
//! (beyond floating-point summation order).

mod common;
use backprop::nn::{parallel_grad, parallel_grad_into};
use backprop::prelude::*;
use common::{matrix, vector};

type Params = (
    Matrix<f64, U5, U6>,
    Vector<f64, U5>,
    Matrix<f64, U3, U5>,
    Vector<f64, U3>,
);

fn params() -> Params {
    (
        matrix(1, -0.5, 0.5),
        vector(2, -0.1, 0.1),
        matrix(3, -0.5, 0.5),
        vector(4, -0.1, 0.1),
    )
}

#[test]
fn batch_gradient_equals_the_sum_of_sample_gradients() {
    let p = params();
    let xb = matrix::<U8, U6>(5, 0.0, 1.0);
    let tb = Matrix::<f64, U8, U3>::from_fn(|r, c| if r % 3 == c { 1.0 } else { 0.0 });
    let batch = |(w1, b1, w2, b2): backprop::entry::Placeholders<Params>| {
        let h = constant(&xb).matmul_t(w1).add_row(b1).logistic();
        softmax_cross_entropy_rows(h.matmul_t(w2).add_row(b2), constant(&tb))
    };
    let (loss, g) = value_and_grad(batch, &p);
    let mut sum = p.zero_like();
    let mut total = 0.0;
    for r in 0..8 {
        let x = Vector::<f64, U6>::try_from_slice(xb.row(r)).unwrap();
        let t = Vector::<f64, U3>::try_from_slice(tb.row(r)).unwrap();
        total += value_and_grad_acc(
            |(w1, b1, w2, b2)| {
                let h = (w1.matvec(constant(&x)) + b1).logistic();
                softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
            },
            &p,
            &mut sum,
        )
        .expect("the gradient buffer has the parameters' shape");
    }
    assert!((loss - total).abs() < 1e-12);
    assert!(g.0.approx_eq(&sum.0, 1e-12) && g.1.approx_eq(&sum.1, 1e-12));
    assert!(g.2.approx_eq(&sum.2, 1e-12) && g.3.approx_eq(&sum.3, 1e-12));
    assert_grad!(batch, &p);
}

#[test]
fn parallel_gradients_do_not_depend_on_the_thread_count() {
    let p = params();
    let samples: Vec<(Vector<f64, U6>, usize)> = (0..37)
        .map(|i| (vector::<U6>(100 + i, 0.0, 1.0), i as usize % 3))
        .collect();
    let f = |p: &Params, chunk: &[(Vector<f64, U6>, usize)], g: &mut Params| {
        chunk
            .iter()
            .map(|(x, c)| {
                let t = Vector::<f64, U3>::from_fn(|k| if k == *c { 1.0 } else { 0.0 });
                value_and_grad_acc(
                    |(w1, b1, w2, b2)| {
                        let h = (w1.matvec(constant(x)) + b1).tanh();
                        softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
                    },
                    p,
                    g,
                )
                .expect("the gradient buffer has the parameters' shape")
            })
            .sum()
    };
    let mut one = [p.zero_like()];
    let l1 = parallel_grad(&p, &samples, &mut one, f).expect("at least one buffer");
    for threads in [2, 3, 5] {
        let mut bufs = vec![p.zero_like(); threads];
        let l = parallel_grad(&p, &samples, &mut bufs, f).expect("at least one buffer");
        assert!((l - l1).abs() < 1e-12);
        assert!(bufs[0].0.approx_eq(&one[0].0, 1e-12) && bufs[0].3.approx_eq(&one[0].3, 1e-12));
    }
}

#[test]
fn parallel_gradients_written_into_stale_buffers_equal_the_accumulated_ones() {
    let p = params();
    let samples: Vec<(Vector<f64, U6>, usize)> = (0..37)
        .map(|i| (vector::<U6>(300 + i, 0.0, 1.0), i as usize % 3))
        .collect();
    // One sample's loss and gradient, written into `g` or added to it.
    fn sample(p: &Params, x: &Vector<f64, U6>, c: usize, g: &mut Params, write: bool) -> f64 {
        let t = Vector::<f64, U3>::from_fn(|k| if k == c { 1.0 } else { 0.0 });
        let f = |(w1, b1, w2, b2): backprop::entry::Placeholders<Params>| {
            let h = (w1.matvec(constant(x)) + b1).tanh();
            softmax_cross_entropy(w2.matvec(h) + b2, constant(&t))
        };
        if write {
            value_and_grad_into(f, p, g).unwrap()
        } else {
            value_and_grad_acc(f, p, g).unwrap()
        }
    }
    let acc = |p: &Params, chunk: &[(Vector<f64, U6>, usize)], g: &mut Params| {
        chunk.iter().map(|(x, c)| sample(p, x, *c, g, false)).sum()
    };
    // Writes: the first sample's gradient overwrites the buffer, the others add to it.
    let write = |p: &Params, chunk: &[(Vector<f64, U6>, usize)], g: &mut Params| {
        let mut l = 0.0;
        for (i, (x, c)) in chunk.iter().enumerate() {
            l += sample(p, x, *c, g, i == 0);
        }
        l
    };
    let mut one = [p.zero_like()];
    let l1 = parallel_grad(&p, &samples, &mut one, acc).unwrap();
    for threads in [1, 2, 3] {
        // Stale contents (a previous step's gradient of another batch) are overwritten.
        let mut bufs = vec![p.clone(); threads];
        for _ in 0..2 {
            let l = parallel_grad_into(&p, &samples, &mut bufs, write).unwrap();
            assert!((l - l1).abs() < 1e-12);
            assert!(bufs[0].0.approx_eq(&one[0].0, 1e-12));
            assert!(bufs[0].1.approx_eq(&one[0].1, 1e-12));
            assert!(bufs[0].2.approx_eq(&one[0].2, 1e-12));
            assert!(bufs[0].3.approx_eq(&one[0].3, 1e-12));
        }
    }
    let mut none: [Params; 0] = [];
    assert!(parallel_grad_into(&p, &samples, &mut none, write).is_err());
}
