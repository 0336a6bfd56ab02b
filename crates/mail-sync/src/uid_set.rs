//! UID set formatting (`1:5,7,9:12`) and the newest-first chunking of an initial sync.

use crate::types::Uid;

/// Formats UIDs (in any order, duplicates allowed) as a compact IMAP sequence set.
/// Returns an empty string for no UIDs.
pub fn compress_uids(uids: &[Uid]) -> String {
    let mut sorted: Vec<u32> = uids.iter().map(|uid| uid.0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut index = 0;
    while index < sorted.len() {
        let start = sorted[index];
        let mut end = start;
        while index + 1 < sorted.len() && sorted[index + 1] == end + 1 {
            index += 1;
            end = sorted[index];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        index += 1;
    }
    out
}

/// Splits the UIDs present on the server into chunks of at most `chunk_size`, newest first.
/// Each chunk is `(lowest, highest)`: `UID FETCH lowest:highest` returns exactly that chunk's
/// messages (no UID between them belongs to another chunk).
pub fn initial_chunks(uids: &[Uid], chunk_size: usize) -> Vec<(Uid, Uid)> {
    let mut sorted: Vec<Uid> = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let chunk_size = chunk_size.max(1);
    sorted
        .rchunks(chunk_size)
        .filter_map(|chunk| Some((*chunk.first()?, *chunk.last()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uids(values: &[u32]) -> Vec<Uid> {
        values.iter().copied().map(Uid).collect()
    }

    #[test]
    fn compress_table() {
        let cases: &[(&[u32], &str)] = &[
            (&[], ""),
            (&[4], "4"),
            (&[1, 2, 3], "1:3"),
            (&[3, 1, 2, 2], "1:3"),
            (&[1, 2, 3, 5, 7, 8, 9, 12], "1:3,5,7:9,12"),
            (&[u32::MAX, u32::MAX - 1], "4294967294:4294967295"),
        ];
        for (input, expected) in cases {
            assert_eq!(compress_uids(&uids(input)), *expected, "{input:?}");
        }
    }

    #[test]
    fn chunks_are_newest_first_and_cover_everything_once() {
        let present = uids(&[1, 2, 5, 9, 10, 11, 20, 31, 32]);
        let chunks = initial_chunks(&present, 4);
        assert_eq!(
            chunks,
            vec![(Uid(11), Uid(32)), (Uid(2), Uid(10)), (Uid(1), Uid(1))]
        );
        let mut covered = 0;
        for (low, high) in &chunks {
            covered += present
                .iter()
                .filter(|uid| *uid >= low && *uid <= high)
                .count();
        }
        assert_eq!(covered, present.len());
        assert!(initial_chunks(&[], 10).is_empty());
        assert_eq!(initial_chunks(&uids(&[3]), 0), vec![(Uid(3), Uid(3))]);
    }
}
