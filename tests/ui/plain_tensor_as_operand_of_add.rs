use backprop::prelude::*;

fn main() {
    let w = Vector::<f64, U3>::zeros();
    // Data that gets no gradient must be wrapped: `constant(&w)`.
    let _ = grad(|v| (v + &w).sum(), &Vector::<f64, U3>::zeros());
}
