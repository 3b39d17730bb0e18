// The scope check, the tensors and the shape rules are sealed: a user impl could let a
// placeholder of an enclosing closure read another closure's input, or let an ill-shaped
// computation compile.
use backprop::expr::internal::SameScope;
use backprop::prelude::*;
use backprop::shape::MatVecShape;
use backprop::Tensor;

#[derive(Clone)]
struct Mine;

impl SameScope<f64> for Mine {
    fn this(&self) -> &f64 {
        &1.0
    }
    fn this_mut(&mut self) -> &mut f64 {
        unimplemented!()
    }
}

impl MatVecShape<Mine> for Matrix<f64, U2, U3> {
    type Checked<N> = N;
    fn check<N>(node: N) -> N {
        node
    }
}

impl backprop::Backprop for Mine {
    fn zero_like(&self) -> Self {
        Mine
    }
    fn accumulate(&mut self, _: &Self) {}
    fn one_like(&self) -> Self {
        Mine
    }
}

impl Tensor for Mine {
    type Elem = f64;
    const LEN: usize = 1;
    const IS_SCALAR: bool = true;
    fn as_slice(&self) -> &[f64] {
        &[]
    }
    fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut []
    }
    fn filled(_: f64) -> Self {
        Mine
    }
    fn from_flat_fn(_: impl FnMut(usize) -> f64) -> Self {
        Mine
    }
}

fn main() {}
