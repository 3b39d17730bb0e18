//! The IDX image parser must return an error, never panic, on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = backprop::data::parse_images(data.to_vec(), "fuzz");
});
