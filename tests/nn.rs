//! Training building blocks: optimizers against their update formulas and on a small fit,
//! initialisation ranges, the seeded generator.

use backprop::nn::{Adam, Dense, Momentum, Optimizer, Rng, Sgd};
use backprop::ops::map::Tanh;
use backprop::prelude::*;

/// (input, target) pairs.
type Samples = [(Vector<f64, U2>, Vector<f64, U1>)];

#[test]
fn adam_follows_its_update_formula() {
    let mut p = (1.0_f64, Vector::<f64, U2>::from([0.5, -0.5]));
    let grads = [(0.3, [1.0, -2.0]), (-0.1, [0.5, 0.0]), (0.2, [-1.0, 3.0])];
    let mut opt = Adam::new(0.01);
    // The same steps by hand on the first scalar.
    let (mut m, mut v, mut x) = (0.0_f64, 0.0_f64, 1.0_f64);
    for (t, (g0, g)) in grads.iter().enumerate() {
        let grad = (*g0, Vector::from(*g));
        opt.step(&mut p, &grad)
            .expect("a gradient shaped like the parameters");
        m = 0.9 * m + 0.1 * g0;
        v = 0.999 * v + 0.001 * g0 * g0;
        let (mh, vh) = (
            m / (1.0 - 0.9_f64.powi(t as i32 + 1)),
            v / (1.0 - 0.999_f64.powi(t as i32 + 1)),
        );
        x -= 0.01 * mh / (vh.sqrt() + 1e-8);
        assert!((p.0 - x).abs() < 1e-15, "step {t}: {} vs {x}", p.0);
    }
}

#[test]
fn momentum_and_sgd_follow_their_formulas() {
    let mut p = [1.0_f64, 2.0];
    let mut opt = Momentum::new(0.1, 0.9);
    opt.step(&mut p, &[1.0, 1.0])
        .expect("a gradient shaped like the parameters"); // v = 1
    opt.step(&mut p, &[1.0, -1.0])
        .expect("a gradient shaped like the parameters"); // v = [1.9, -0.1]
    assert!((p[0] - (1.0 - 0.1 - 0.19)).abs() < 1e-15 && (p[1] - (2.0 - 0.1 + 0.01)).abs() < 1e-15);
    let mut q = vec![1.0_f64, 2.0];
    Sgd::new(0.5)
        .step(&mut q, &vec![2.0, 2.0])
        .expect("a gradient shaped like the parameters");
    assert_eq!(q, vec![0.0, 1.0]);
}

#[test]
fn every_optimizer_fits_a_small_layer() {
    let xs = [[0.5, -1.0], [1.0, 0.5], [-0.5, 0.25], [0.0, 1.0]];
    let ts = [0.3, -0.2, 0.6, 0.1];
    let data: Vec<(Vector<f64, U2>, Vector<f64, U1>)> = xs
        .iter()
        .zip(ts)
        .map(|(x, t)| (Vector::from(*x), Vector::from([t])))
        .collect();
    let total = |l: &Dense<f64, U2, U1>| -> f64 {
        data.iter()
            .map(|(x, t)| {
                eval(
                    |l: backprop::entry::Placeholders<Dense<f64, U2, U1>>| {
                        squared_error(constant(x).dense(l.w, l.b, Tanh), constant(t))
                    },
                    l,
                )
            })
            .sum()
    };
    fn train<O: Optimizer<Dense<f64, U2, U1>>>(
        mut opt: O,
        data: &Samples,
        steps: usize,
    ) -> Dense<f64, U2, U1> {
        let mut l: Dense<f64, U2, U1> = Dense::xavier(&mut Rng::new(3));
        for _ in 0..steps {
            let mut g = l.zero_like();
            for (x, t) in data {
                value_and_grad_acc(
                    |l: backprop::entry::Placeholders<Dense<f64, U2, U1>>| {
                        squared_error(constant(x).dense(l.w, l.b, Tanh), constant(t))
                    },
                    &l,
                    &mut g,
                )
                .expect("the gradient buffer has the parameters' shape");
            }
            opt.step(&mut l, &g)
                .expect("a gradient shaped like the parameters");
        }
        l
    }
    let start = total(&Dense::xavier(&mut Rng::new(3)));
    for end in [
        total(&train(Sgd::new(0.2), &data, 300)),
        total(&train(Momentum::new(0.05, 0.9), &data, 300)),
        total(&train(Adam::new(0.02), &data, 300)),
    ] {
        assert!(end < start / 10.0, "loss {start} -> {end}");
    }
}

#[test]
fn initialisation_is_seeded_and_in_range() {
    let a: Dense<f64, U100, U30> = Dense::xavier(&mut Rng::new(11));
    let b: Dense<f64, U100, U30> = Dense::xavier(&mut Rng::new(11));
    let c: Dense<f64, U100, U30> = Dense::xavier(&mut Rng::new(12));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let bound = (6.0_f64 / 130.0).sqrt();
    assert!(a.w.iter().all(|w| w.abs() <= bound));
    // the weights spread over the range: variance close to bound^2 / 3
    let var = a.w.iter().map(|w| w * w).sum::<f64>() / 3000.0;
    assert!((var / (bound * bound / 3.0) - 1.0).abs() < 0.1, "{var}");
    let h: Dense<f32, U50, U10> = Dense::he(&mut Rng::new(1));
    assert!(h.w.iter().all(|w| w.abs() <= (6.0_f32 / 50.0).sqrt()));
    assert_eq!(h.b, Vector::zeros());
}
