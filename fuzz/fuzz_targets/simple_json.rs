#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lock2nix::fuzzing::Target::SimpleJson.run(data));
