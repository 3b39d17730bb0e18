//! Dual numbers `re + eps ε` with `ε² = 0`: the scalar of forward-mode differentiation.
//!
//! Evaluating `f` at `x + v ε` gives `f(x) + (f'(x) v) ε`: the value and the directional
//! derivative in one pass. [`Dual`] implements [`Scalar`], so every tensor and operation of the
//! crate works on it (kernels take their portable loops), and it nests: a gradient computed on
//! inputs `x + v ε` carries the Hessian-vector product `H v` in its `eps` parts
//! (forward-over-reverse, Pearlmutter 1994).
//!
//! | operation | `re` | `eps` |
//! |---|---|---|
//! | `a + b` | `a.re + b.re` | `a.eps + b.eps` |
//! | `a * b` | `a.re b.re` | `a.re b.eps + a.eps b.re` |
//! | `a / b` | `a.re / b.re` | `(a.eps b.re - a.re b.eps) / b.re²` |
//! | `f(a)` | `f(a.re)` | `f'(a.re) a.eps` |
//!
//! Comparisons (`<`, `max`, `abs`'s sign, `relu`'s branch) look at `re` only, as the derivative
//! of a piecewise function does; `==` compares both parts.
//!
//! ```
//! use backprop::dual::Dual;
//! use num_traits::Float;
//! // d/dx (x sin x) at 0.5, in direction 1
//! let x = Dual::new(0.5_f64, 1.0);
//! let y = x * x.sin();
//! assert_eq!(y.re, 0.5 * 0.5_f64.sin());
//! assert!((y.eps - (0.5_f64.sin() + 0.5 * 0.5_f64.cos())).abs() < 1e-15);
//! ```

use core::cmp::Ordering;
use core::fmt;
use core::iter::Sum;
use core::num::FpCategory;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

use crate::Scalar;

/// A dual number `re + eps ε` (`ε² = 0`) over a [`Scalar`] `T` (which may itself be a dual
/// number).
///
/// ```
/// use backprop::dual::Dual;
/// let x = Dual::new(3.0_f64, 1.0);
/// let y = x * x + Dual::constant(2.0);
/// assert_eq!((y.re, y.eps), (11.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dual<T> {
    /// The value.
    pub re: T,
    /// The derivative part: the directional derivative carried along.
    pub eps: T,
}

impl<T: Scalar> Dual<T> {
    /// `re + eps ε`.
    ///
    /// ```
    /// let d = backprop::dual::Dual::new(1.0_f64, 2.0);
    /// assert_eq!((d.re, d.eps), (1.0, 2.0));
    /// ```
    pub const fn new(re: T, eps: T) -> Self {
        Dual { re, eps }
    }

    /// A constant: `re + 0 ε`.
    ///
    /// ```
    /// assert_eq!(backprop::dual::Dual::constant(4.0_f64).eps, 0.0);
    /// ```
    pub fn constant(re: T) -> Self {
        Dual { re, eps: T::zero() }
    }

    /// `f(re) + f'(re) eps ε`, given `f(re)` and `f'(re)`.
    #[inline(always)]
    fn chain(self, f: T, df: T) -> Self {
        Dual {
            re: f,
            eps: df * self.eps,
        }
    }
}

impl<T: Scalar> fmt::Display for Dual<T> {
    /// `re + epsε`.
    ///
    /// ```
    /// assert_eq!(backprop::dual::Dual::new(1.5_f64, -2.0).to_string(), "1.5 + -2ε");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {}ε", self.re, self.eps)
    }
}

/// Ordered by the value; two numbers of equal value but different derivative parts are
/// unordered (so that `partial_cmp` is `Equal` exactly when `==` holds).
///
/// ```
/// use backprop::dual::Dual;
/// assert!(Dual::new(1.0_f64, 5.0) < Dual::new(2.0, 0.0));
/// assert_eq!(Dual::new(1.0_f64, 5.0).partial_cmp(&Dual::new(1.0, 0.0)), None);
/// ```
impl<T: Scalar> PartialOrd for Dual<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.re.partial_cmp(&other.re)? {
            Ordering::Equal if self.eps != other.eps => None,
            order => Some(order),
        }
    }
}

impl<T: Scalar> Add for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Dual::new(self.re + b.re, self.eps + b.eps)
    }
}

impl<T: Scalar> Sub for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Dual::new(self.re - b.re, self.eps - b.eps)
    }
}

impl<T: Scalar> Mul for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Dual::new(self.re * b.re, self.re * b.eps + self.eps * b.re)
    }
}

impl<T: Scalar> Div for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        let q = self.re / b.re;
        Dual::new(q, (self.eps - q * b.eps) / b.re)
    }
}

/// `a mod b = a - b trunc(a / b)`: the derivative of `trunc` is zero almost everywhere.
impl<T: Scalar> Rem for Dual<T> {
    type Output = Self;
    fn rem(self, b: Self) -> Self {
        let k = (self.re / b.re).trunc();
        Dual::new(self.re % b.re, self.eps - k * b.eps)
    }
}

impl<T: Scalar> Neg for Dual<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Dual::new(-self.re, -self.eps)
    }
}

macro_rules! assign_ops {
    ($($tr:ident $m:ident $op:tt),*) => {$(
        impl<T: Scalar> $tr for Dual<T> {
            #[inline(always)]
            fn $m(&mut self, b: Self) {
                *self = *self $op b;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *,
    DivAssign div_assign /, RemAssign rem_assign %);

impl<T: Scalar> Sum for Dual<T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::zero(), |a, b| a + b)
    }
}

impl<T: Scalar> Zero for Dual<T> {
    fn zero() -> Self {
        Dual::constant(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.re.is_zero() && self.eps.is_zero()
    }
}

impl<T: Scalar> One for Dual<T> {
    fn one() -> Self {
        Dual::constant(T::one())
    }
}

impl<T: Scalar> Num for Dual<T> {
    type FromStrRadixErr = T::FromStrRadixErr;
    /// A constant parsed from text.
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(s, radix).map(Dual::constant)
    }
}

impl<T: Scalar> ToPrimitive for Dual<T> {
    fn to_i64(&self) -> Option<i64> {
        self.re.to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.re.to_u64()
    }
    fn to_f64(&self) -> Option<f64> {
        ToPrimitive::to_f64(&self.re)
    }
}

impl<T: Scalar> NumCast for Dual<T> {
    /// A constant.
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        <T as NumCast>::from(n).map(Dual::constant)
    }
}

/// Functions of the value only (rounding, classification, limits) give constants.
macro_rules! constants {
    ($($m:ident),*) => {$(
        #[inline]
        fn $m() -> Self {
            Dual::constant(T::$m())
        }
    )*};
}
macro_rules! predicates {
    ($($m:ident),*) => {$(
        #[inline]
        fn $m(self) -> bool {
            self.re.$m()
        }
    )*};
}
macro_rules! steps {
    ($($m:ident),*) => {$(
        #[inline]
        fn $m(self) -> Self {
            Dual::constant(self.re.$m())
        }
    )*};
}

impl<T: Scalar> Float for Dual<T> {
    constants!(
        nan,
        infinity,
        neg_infinity,
        neg_zero,
        min_value,
        min_positive_value,
        epsilon,
        max_value
    );
    predicates!(
        is_nan,
        is_infinite,
        is_finite,
        is_normal,
        is_sign_positive,
        is_sign_negative
    );
    steps!(floor, ceil, round, trunc, signum);

    fn classify(self) -> FpCategory {
        self.re.classify()
    }
    fn fract(self) -> Self {
        Dual::new(self.re.fract(), self.eps)
    }
    fn abs(self) -> Self {
        if self.re < T::zero() {
            -self
        } else {
            self
        }
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    fn recip(self) -> Self {
        let r = self.re.recip();
        self.chain(r, -r * r)
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Self::one();
        }
        // n x^(n-1), with n as a float (exact for |n| < 2^24 in f32, every i32 in f64).
        self.chain(self.re.powi(n), T::from_f64(n as f64) * self.re.powi(n - 1))
    }
    fn powf(self, n: Self) -> Self {
        // x^n = exp(n ln x); d = n x^(n-1) dx + x^n ln x dn (the second term only if dn != 0,
        // so that 0^n with a constant n has a derivative).
        let y = self.re.powf(n.re);
        let dx = if self.eps.is_zero() {
            T::zero()
        } else {
            n.re * self.re.powf(n.re - T::one()) * self.eps
        };
        let dn = if n.eps.is_zero() {
            T::zero()
        } else {
            y * self.re.ln() * n.eps
        };
        Dual::new(y, dx + dn)
    }
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, (T::from_f64(2.0) * s).recip())
    }
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    fn exp2(self) -> Self {
        let e = self.re.exp2();
        self.chain(e, e * T::from_f64(core::f64::consts::LN_2))
    }
    fn ln(self) -> Self {
        self.chain(self.re.ln(), self.re.recip())
    }
    fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    fn log2(self) -> Self {
        self.chain(
            self.re.log2(),
            (self.re * T::from_f64(core::f64::consts::LN_2)).recip(),
        )
    }
    fn log10(self) -> Self {
        self.chain(
            self.re.log10(),
            (self.re * T::from_f64(core::f64::consts::LN_10)).recip(),
        )
    }
    fn max(self, other: Self) -> Self {
        if other.re > self.re || self.re.is_nan() {
            other
        } else {
            self
        }
    }
    fn min(self, other: Self) -> Self {
        if other.re < self.re || self.re.is_nan() {
            other
        } else {
            self
        }
    }
    fn abs_sub(self, other: Self) -> Self {
        if self.re > other.re {
            self - other
        } else {
            Self::zero()
        }
    }
    fn cbrt(self) -> Self {
        let c = self.re.cbrt();
        self.chain(c, (T::from_f64(3.0) * c * c).recip())
    }
    fn hypot(self, other: Self) -> Self {
        (self * self + other * other).sqrt()
    }
    fn sin(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(s, c)
    }
    fn cos(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(c, -s)
    }
    fn tan(self) -> Self {
        let t = self.re.tan();
        self.chain(t, T::one() + t * t)
    }
    fn asin(self) -> Self {
        self.chain(
            self.re.asin(),
            (T::one() - self.re * self.re).sqrt().recip(),
        )
    }
    fn acos(self) -> Self {
        self.chain(
            self.re.acos(),
            -(T::one() - self.re * self.re).sqrt().recip(),
        )
    }
    fn atan(self) -> Self {
        self.chain(self.re.atan(), (T::one() + self.re * self.re).recip())
    }
    fn atan2(self, other: Self) -> Self {
        // d atan2(y, x) = (x dy - y dx) / (x² + y²)
        let r2 = self.re * self.re + other.re * other.re;
        Dual::new(
            self.re.atan2(other.re),
            (other.re * self.eps - self.re * other.eps) / r2,
        )
    }
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.re.sin_cos();
        (self.chain(s, c), self.chain(c, -s))
    }
    fn exp_m1(self) -> Self {
        self.chain(self.re.exp_m1(), self.re.exp())
    }
    fn ln_1p(self) -> Self {
        self.chain(self.re.ln_1p(), (T::one() + self.re).recip())
    }
    fn sinh(self) -> Self {
        self.chain(self.re.sinh(), self.re.cosh())
    }
    fn cosh(self) -> Self {
        self.chain(self.re.cosh(), self.re.sinh())
    }
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        self.chain(t, T::one() - t * t)
    }
    fn asinh(self) -> Self {
        self.chain(
            self.re.asinh(),
            (self.re * self.re + T::one()).sqrt().recip(),
        )
    }
    fn acosh(self) -> Self {
        self.chain(
            self.re.acosh(),
            (self.re * self.re - T::one()).sqrt().recip(),
        )
    }
    fn atanh(self) -> Self {
        self.chain(self.re.atanh(), (T::one() - self.re * self.re).recip())
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.re.integer_decode()
    }
}

impl<T: Scalar> Scalar for Dual<T> {
    /// A constant.
    fn from_f64(x: f64) -> Self {
        Dual::constant(T::from_f64(x))
    }
    /// The value (the derivative part is dropped).
    fn to_f64(self) -> f64 {
        self.re.to_f64()
    }
}
