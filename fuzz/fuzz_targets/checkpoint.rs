//! The checkpoint loader must return an error, never panic, on any bytes.
#![no_main]
use backprop::nn::Dense;
use backprop::prelude::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let template: (Dense<f64, U4, U3>, f64) = (Dense::zeros(), 0.0);
    let _ = backprop::nn::checkpoint::from_bytes(data, &template, "fuzz".as_ref());
});
