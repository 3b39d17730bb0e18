// Even for one of the crate's own node types and an input type of the user's, `Diff` cannot
// be implemented outside the crate.
use std::borrow::Cow;
use std::mem::MaybeUninit;

use backprop::expr::internal::{Root, Z};
use backprop::expr::{Diff, Placeholder};

#[derive(Clone)]
struct Mine;

impl Diff<Mine> for Placeholder<f64, Root<Z>> {
    type Cache = String;
    fn forward(&self, _: &Mine, _: &mut MaybeUninit<String>) {}
    fn value<'a>(&'a self, _: &'a Mine, _: &'a String) -> &'a f64 {
        &1.0
    }
    fn backward(&self, _: &Mine, _: &String, _: f64, _: &mut Mine) {}
    fn eval<'a>(&'a self, _: &'a Mine) -> Cow<'a, f64> {
        Cow::Owned(1.0)
    }
}

fn main() {}
