use backprop::prelude::*;

fn main() {
    let p = Vector::<f64, U10>::zeros();
    let t = Vector::<f64, U9>::zeros();
    let _ = grad(|p| squared_error(p, constant(&t)), &p);
}
