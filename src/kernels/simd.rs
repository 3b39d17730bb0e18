//! Which instruction set the kernels run on: detected once per thread at run time, never assumed
//! at compile time (a binary built here must still run on a machine without AVX).

use core::cell::Cell;
use core::fmt;

/// An instruction set the slice kernels are compiled for. Every kernel has one variant per level;
/// the best level the CPU supports is chosen at run time, on the first kernel call of a thread.
///
/// | level | built with | chosen when |
/// |---|---|---|
/// | [`Portable`](Simd::Portable) | the target's baseline (SSE2 on x86-64), plain `a * b + c` | always available; the only level for scalars other than `f32`/`f64` |
/// | [`Avx2Fma`](Simd::Avx2Fma) | AVX2 and FMA: 256-bit registers, fused multiply-add | the CPU has both |
/// | [`Avx512`](Simd::Avx512) | AVX-512F with FMA: 512-bit registers | the CPU has AVX-512F |
///
/// Levels differ in rounding only (fused multiply-adds, another order of partial sums); the
/// tests check every available level against the portable one.
///
/// ```
/// use backprop::kernels::{dot, Simd};
/// let best = Simd::detected();
/// assert!(Simd::available().contains(&best));
/// assert_eq!(Simd::active(), best);
/// // Run a computation on the portable kernels only (for reproducibility across machines).
/// let y = Simd::Portable.run(|| {
///     assert_eq!(Simd::active(), Simd::Portable);
///     dot(&[1.0, 2.0], &[3.0, 4.0])
/// });
/// assert_eq!(y, Ok(11.0));
/// assert_eq!(Simd::active(), best); // restored
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Simd {
    /// Loops compiled for the target's baseline instruction set.
    Portable,
    /// x86-64 AVX2 with FMA.
    Avx2Fma,
    /// x86-64 AVX-512F (with AVX2 and FMA).
    Avx512,
}

/// A [`Simd::run`] asked for a level this CPU does not have.
///
/// ```
/// use backprop::kernels::{Simd, Unsupported};
/// let e = Unsupported(Simd::Avx512);
/// assert_eq!(e.to_string(), "this CPU cannot run the Avx512 kernels");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported(pub Simd);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this CPU cannot run the {:?} kernels", self.0)
    }
}

impl std::error::Error for Unsupported {}

/// `0` until the thread's first kernel call, then `level as u8 + 1`.
const UNSET: u8 = 0;

thread_local! {
    // A plain `Cell` in a const-initialised thread local: reading it is one load, with no lazy
    // initialisation check and no destructor registration.
    static ACTIVE: Cell<u8> = const { Cell::new(UNSET) };
}

impl Simd {
    /// Every level, lowest first.
    const ALL: [Simd; 3] = [Simd::Portable, Simd::Avx2Fma, Simd::Avx512];

    /// Whether this CPU can run the level.
    ///
    /// ```
    /// assert!(backprop::kernels::Simd::Portable.is_supported());
    /// ```
    pub fn is_supported(self) -> bool {
        match self {
            Simd::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The levels this CPU can run, lowest first (always starts with `Portable`).
    ///
    /// ```
    /// use backprop::kernels::Simd;
    /// assert_eq!(Simd::available()[0], Simd::Portable);
    /// ```
    pub fn available() -> Vec<Simd> {
        Self::ALL.into_iter().filter(|s| s.is_supported()).collect()
    }

    /// The best level this CPU can run: what kernels use unless [`run`](Simd::run) says
    /// otherwise.
    ///
    /// ```
    /// use backprop::kernels::Simd;
    /// assert!(Simd::detected().is_supported());
    /// ```
    pub fn detected() -> Simd {
        // No `available()` here: this runs inside the first kernel call of each thread, which
        // must not allocate.
        Self::ALL
            .into_iter()
            .rev()
            .find(|s| s.is_supported())
            .unwrap_or(Simd::Portable)
    }

    /// The level the kernels use on this thread now.
    ///
    /// ```
    /// use backprop::kernels::Simd;
    /// assert!(Simd::active() <= Simd::detected());
    /// ```
    #[inline]
    pub fn active() -> Simd {
        let v = ACTIVE.with(Cell::get);
        if v == UNSET {
            return Self::init();
        }
        Self::ALL[(v - 1) as usize]
    }

    #[cold]
    fn init() -> Simd {
        let s = Self::detected();
        ACTIVE.with(|a| a.set(s as u8 + 1));
        s
    }

    /// Runs `f` with the kernels of this level on the current thread (other threads, such as
    /// rayon's workers, keep theirs), then restores the previous level, also if `f` panics.
    ///
    /// # Errors
    /// [`Unsupported`] when this CPU cannot run the level; `f` is then not called.
    ///
    /// ```
    /// use backprop::kernels::{sum, Simd};
    /// for s in Simd::available() {
    ///     assert_eq!(s.run(|| sum(&[1.0, 2.0, 3.0])), Ok(6.0));
    /// }
    /// ```
    pub fn run<R>(self, f: impl FnOnce() -> R) -> Result<R, Unsupported> {
        if !self.is_supported() {
            return Err(Unsupported(self));
        }
        struct Restore(Simd);
        impl Drop for Restore {
            fn drop(&mut self) {
                ACTIVE.with(|a| a.set(self.0 as u8 + 1));
            }
        }
        let _restore = Restore(Self::active());
        ACTIVE.with(|a| a.set(self as u8 + 1));
        Ok(f())
    }
}
