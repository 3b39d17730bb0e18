use backprop::prelude::*;

fn main() {
    let v = Vector::<f64, U3>::zeros();
    let m = Matrix::<f64, U3, U3>::zeros();
    let _ = grad(|(v, m)| (v + m).sum(), &(v, m));
}
