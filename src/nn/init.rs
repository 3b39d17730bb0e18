//! A seeded random generator for weight initialisation and shuffling: the same seed gives the
//! same network (for a given version of `rand`, which the lock file fixes).

use rand::rngs::StdRng;
use rand::{Rng as _, RngExt, SeedableRng};

/// A seeded random generator: `rand`'s `StdRng`, with the few draws training needs. For any
/// other distribution, use [`Rng::rand`] with the `rand` crate.
///
/// ```
/// use backprop::nn::Rng;
/// let (mut a, mut b) = (Rng::new(42), Rng::new(42));
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.uniform(-1.0, 1.0);
/// assert!((-1.0..1.0).contains(&u));
/// ```
#[derive(Debug)]
pub struct Rng {
    inner: StdRng,
}

impl Rng {
    /// A generator from a seed.
    ///
    /// ```
    /// let _ = backprop::nn::Rng::new(0);
    /// ```
    pub fn new(seed: u64) -> Self {
        Rng {
            inner: StdRng::seed_from_u64(seed),
        }
    }

    /// The underlying `rand` generator, to draw from any `rand` distribution.
    ///
    /// ```
    /// use rand::RngExt;
    /// let mut rng = backprop::nn::Rng::new(4);
    /// let coin: bool = rng.rand().random();
    /// # let _ = coin;
    /// ```
    pub fn rand(&mut self) -> &mut StdRng {
        &mut self.inner
    }

    /// The next 64 random bits.
    ///
    /// ```
    /// assert_ne!(backprop::nn::Rng::new(1).next_u64(), backprop::nn::Rng::new(2).next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A number uniform in `[lo, hi)`.
    ///
    /// ```
    /// let x = backprop::nn::Rng::new(3).uniform(2.0, 3.0);
    /// assert!((2.0..3.0).contains(&x));
    /// ```
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if lo < hi {
            self.inner.random_range(lo..hi)
        } else {
            lo
        }
    }

    /// An index uniform in `0..n` (`n > 0`).
    ///
    /// ```
    /// assert!(backprop::nn::Rng::new(5).below(10) < 10);
    /// ```
    pub fn below(&mut self, n: usize) -> usize {
        self.inner.random_range(0..n.max(1))
    }

    /// Shuffles a slice in place (Fisher-Yates).
    ///
    /// ```
    /// let mut v: Vec<u32> = (0..10).collect();
    /// backprop::nn::Rng::new(9).shuffle(&mut v);
    /// v.sort();
    /// assert_eq!(v, (0..10).collect::<Vec<_>>());
    /// ```
    pub fn shuffle<X>(&mut self, items: &mut [X]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}
