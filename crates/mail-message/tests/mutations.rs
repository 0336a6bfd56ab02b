//! A deterministic mutation run over the corpus (the stable, always-on companion of the
//! cargo-fuzz target in `fuzz/`): thousands of damaged messages through everything a reader
//! does with them. None may panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// xorshift64: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const SNIPPETS: &[&[u8]] = &[
    b"\r\n--mix\r\n",
    b"\r\n--alt--\r\n",
    b"Content-Type: multipart/mixed; boundary=\"\"\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n\r\n====",
    b"=?UTF-8?B?////?=",
    b"=?x-unknown?Q?=FF=FE?=",
    b"<img src=\"cid:",
    b"<script>",
    b"\xff\xfe\x00",
    b"\r\n\r\n",
    b"References: <a> <b\r\n",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 => data.truncate(at),
            1 if !data.is_empty() => {
                let index = at.min(data.len() - 1);
                data[index] ^= 1 << rng.below(8);
            }
            2 => {
                let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
                data.splice(at..at, snippet.iter().copied());
            }
            3 if at < data.len() => {
                let end = (at + rng.below(200)).min(data.len());
                let chunk = data[at..end].to_vec();
                data.splice(at..at, chunk);
            }
            _ => {
                let end = (at + rng.below(100)).min(data.len());
                data.drain(at..end);
            }
        }
    }
    data
}

#[test]
fn damaged_messages_never_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .filter(|bytes| bytes.len() < 100_000)
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 8);
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut runs = 0;
    for seed in &seeds {
        for _ in 0..400 {
            mail_message::fuzz_one(&mutate(&mut rng, seed));
            runs += 1;
        }
    }
    assert_eq!(runs, seeds.len() * 400);
}
