//! A small seeded random generator for weight initialisation and shuffling: the same seed gives
//! the same network on every machine.

/// A seeded pseudo-random generator (SplitMix64): fast, reproducible, not for cryptography.
///
/// ```
/// use backprop::nn::Rng;
/// let (mut a, mut b) = (Rng::new(42), Rng::new(42));
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.uniform(-1.0, 1.0);
/// assert!((-1.0..1.0).contains(&u));
/// ```
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator from a seed.
    ///
    /// ```
    /// let _ = backprop::nn::Rng::new(0);
    /// ```
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    ///
    /// ```
    /// assert_ne!(backprop::nn::Rng::new(1).next_u64(), backprop::nn::Rng::new(2).next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number uniform in `[lo, hi)`.
    ///
    /// ```
    /// let x = backprop::nn::Rng::new(3).uniform(2.0, 3.0);
    /// assert!((2.0..3.0).contains(&x));
    /// ```
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }

    /// An index uniform in `0..n` (`n > 0`).
    ///
    /// ```
    /// assert!(backprop::nn::Rng::new(5).below(10) < 10);
    /// ```
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
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
