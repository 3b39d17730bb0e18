use backprop::prelude::*;

fn main() {
    let a = Matrix::<f64, U2, U3>::zeros();
    let b = Matrix::<f64, U2, U4>::zeros();
    let _ = grad(|(a, b)| a.stack_rows(b).sum(), &(a, b));
}
