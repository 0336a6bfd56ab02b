//! libFuzzer target: any bytes through everything a reader does with a message (decode,
//! sanitize, render text, attachments, threading). `scripts/fuzz.sh SECONDS` runs it.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mail_message::fuzz_one(data);
});
