//! The hostile-server fuzzer's parts (see `tests/hostile_server.rs`); the corpus of inputs
//! that once failed is in `corpus/`.

pub mod cache;
pub mod record;
pub mod work;
