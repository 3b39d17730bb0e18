use backprop::prelude::*;

fn main() {
    let x = Vector::<f64, U3>::zeros();
    // Data that gets no gradient must be wrapped: `constant(&x)`.
    let _ = grad(|m| m.matvec(&x).sum(), &Matrix::<f64, U2, U3>::zeros());
}
