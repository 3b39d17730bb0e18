use backprop::prelude::*;

fn main() {
    let m = Matrix::<f64, U2, U3>::zeros();
    let v = Vector::<f64, U4>::zeros();
    let _ = grad(|m| m.matvec(constant(&v)).sum(), &m);
}
