use backprop::prelude::*;

fn main() {
    let a = Matrix::<f64, U2, U3>::zeros();
    let b = Matrix::<f64, U4, U2>::zeros();
    let _ = grad(|(a, b)| a.matmul(b).sum(), &(a, b));
}
