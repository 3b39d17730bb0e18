//! `Serialize`/`Deserialize` for [`Vector`] and [`Matrix`] (the `serde` feature): a sequence of
//! the elements, row-major; a sequence of the wrong length is an error naming both lengths.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{Error, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Dim, Matrix, Scalar, Tensor, Vector};

fn serialize_elems<T: Serialize, S: Serializer>(xs: &[T], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(xs.len()))?;
    for x in xs {
        seq.serialize_element(x)?;
    }
    seq.end()
}

/// Reads a sequence of exactly `X::LEN` elements.
struct Elems<X>(PhantomData<X>);

impl<'de, X: Tensor> Visitor<'de> for Elems<X>
where
    X::Elem: Deserialize<'de>,
{
    type Value = X;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a sequence of {} numbers", X::LEN)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<X, A::Error> {
        let mut v = Vec::with_capacity(X::LEN.min(1 << 20));
        while let Some(x) = seq.next_element()? {
            if v.len() == X::LEN {
                return Err(A::Error::invalid_length(X::LEN + 1, &self));
            }
            v.push(x);
        }
        if v.len() != X::LEN {
            return Err(A::Error::invalid_length(v.len(), &self));
        }
        Ok(X::from_flat_fn(|i| v[i]))
    }
}

/// ```
/// use backprop::prelude::*;
/// let v = Vector::<f64, U2>::from([1.0, 2.5]);
/// assert_eq!(serde_json::to_string(&v).unwrap(), "[1.0,2.5]");
/// ```
impl<T: Scalar + Serialize, N: Dim> Serialize for Vector<T, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_elems(self.as_slice(), s)
    }
}

/// ```
/// use backprop::prelude::*;
/// let v: Vector<f64, U2> = serde_json::from_str("[1.0, 2.5]").unwrap();
/// assert_eq!(v, Vector::from([1.0, 2.5]));
/// assert!(serde_json::from_str::<Vector<f64, U2>>("[1.0]").is_err());
/// ```
impl<'de, T: Scalar + Deserialize<'de>, N: Dim> Deserialize<'de> for Vector<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(Elems(PhantomData))
    }
}

/// ```
/// use backprop::prelude::*;
/// let m = Matrix::<f64, U1, U2>::from([[1.0, 2.0]]);
/// assert_eq!(serde_json::to_string(&m).unwrap(), "[1.0,2.0]");
/// ```
impl<T: Scalar + Serialize, R: Dim, C: Dim> Serialize for Matrix<T, R, C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_elems(self.as_slice(), s)
    }
}

/// ```
/// use backprop::prelude::*;
/// let m: Matrix<f64, U2, U1> = serde_json::from_str("[3.0, 4.0]").unwrap();
/// assert_eq!(m, Matrix::from([[3.0], [4.0]]));
/// ```
impl<'de, T: Scalar + Deserialize<'de>, R: Dim, C: Dim> Deserialize<'de> for Matrix<T, R, C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(Elems(PhantomData))
    }
}
