// `Diff` is sealed: the engine trusts every `forward` to write its whole cache, so a node of
// the user's own (here one whose `forward` writes nothing) must not compile.
use std::borrow::Cow;
use std::mem::MaybeUninit;

use backprop::expr::{Diff, Expr};
use backprop::prelude::*;

#[derive(Clone, Copy)]
struct Empty;

impl Expr for Empty {
    type Out = f64;
    type Depth = backprop::expr::internal::Z;
    const NEEDS_GRAD: bool = true;
}

impl Diff<f64> for Empty {
    type Cache = String;
    fn forward(&self, _: &f64, _: &mut MaybeUninit<String>) {}
    fn value<'a>(&'a self, x: &'a f64, _: &'a String) -> &'a f64 {
        x
    }
    fn backward(&self, _: &f64, _: &String, _: f64, _: &mut f64) {}
    fn eval<'a>(&'a self, x: &'a f64) -> Cow<'a, f64> {
        Cow::Borrowed(x)
    }
}

fn main() {
    let _ = grad(|_| Ex(Empty), &1.0_f64);
}
