//! Conversations: messages grouped by Message-ID / In-Reply-To / References, with the
//! subject as a fallback for replies that carry no references. Pure: the caller passes the
//! account's messages (any folders) and gets groups back.

use std::collections::HashMap;

/// What threading needs to know of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInput {
    /// Message-ID without brackets ("" when missing).
    pub message_id: String,
    /// In-Reply-To and References, without brackets, oldest first.
    pub parents: Vec<String>,
    pub subject: String,
    /// Unix seconds.
    pub date: i64,
}

/// The subject without reply/forward prefixes, folded for comparison. Linear in the
/// subject's length, however many prefixes it has.
pub fn base_subject(subject: &str) -> (String, bool) {
    const PREFIXES: [&str; 9] = [
        "re:", "fwd:", "fw:", "aw:", "sv:", "vs:", "wg:", "antw:", "tr:",
    ];
    let mut rest = subject.trim();
    let mut was_reply = false;
    loop {
        let starts_with = |prefix: &str| {
            rest.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        let stripped = PREFIXES
            .iter()
            .find(|prefix| starts_with(prefix))
            .map(|prefix| prefix.len())
            .or_else(|| {
                // "Re[2]:" / "RE [3]:"
                let after = rest.get(2..).filter(|_| starts_with("re"))?.trim_start();
                let inner = after.strip_prefix('[')?;
                let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
                inner[digits..]
                    .starts_with("]:")
                    .then(|| rest.len() - inner.len() + digits + 2)
            });
        match stripped {
            Some(length) => {
                was_reply = true;
                rest = rest.get(length..).unwrap_or("").trim_start();
            }
            None => break,
        }
    }
    (rest.to_lowercase(), was_reply)
}

struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn find(&mut self, mut node: usize) -> usize {
        while self.parent[node] != node {
            self.parent[node] = self.parent[self.parent[node]];
            node = self.parent[node];
        }
        node
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            // The lower index wins: deterministic output.
            let (keep, other) = if a < b { (a, b) } else { (b, a) };
            self.parent[other] = keep;
        }
    }
}

/// Groups `messages` into conversations. Each group lists indices into `messages`, oldest
/// first; groups come newest activity first.
pub fn thread(messages: &[ThreadInput]) -> Vec<Vec<usize>> {
    let count = messages.len();
    let mut sets = Sets {
        parent: (0..count).collect(),
    };
    // Every Message-ID names a node; ids only referenced (a parent we do not have) get
    // nodes of their own past the messages, so siblings still meet there.
    let mut node_of: HashMap<&str, usize> = HashMap::new();
    for (index, message) in messages.iter().enumerate() {
        if message.message_id.is_empty() {
            continue;
        }
        match node_of.get(message.message_id.as_str()) {
            // The same message in two folders (or a resent copy): one conversation.
            Some(&other) => sets.join(other, index),
            None => {
                node_of.insert(&message.message_id, index);
            }
        }
    }
    for (index, message) in messages.iter().enumerate() {
        for parent in message.parents.iter().filter(|id| !id.is_empty()) {
            let node = match node_of.get(parent.as_str()) {
                Some(&node) => node,
                None => {
                    let node = sets.parent.len();
                    sets.parent.push(node);
                    node_of.insert(parent, node);
                    node
                }
            };
            sets.join(index, node);
        }
    }
    // Subject fallback: a reply without references joins the conversation whose messages
    // share its base subject.
    let mut by_subject: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&index| (messages[index].date, index));
    for &index in &order {
        let (base, was_reply) = base_subject(&messages[index].subject);
        if base.is_empty() {
            continue;
        }
        let has_parents = messages[index].parents.iter().any(|id| !id.is_empty());
        match by_subject.get(&base) {
            Some(&first) if was_reply && !has_parents => sets.join(first, index),
            Some(_) => {}
            None => {
                by_subject.insert(base, index);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for index in 0..count {
        let root = sets.find(index);
        groups.entry(root).or_default().push(index);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    for group in &mut groups {
        group.sort_by_key(|&index| (messages[index].date, index));
    }
    groups.sort_by_key(|group| {
        let latest = group
            .iter()
            .map(|&index| messages[index].date)
            .max()
            .unwrap_or(0);
        (
            std::cmp::Reverse(latest),
            group.first().copied().unwrap_or(0),
        )
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, parents: &[&str], subject: &str, date: i64) -> ThreadInput {
        ThreadInput {
            message_id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            subject: subject.into(),
            date,
        }
    }

    #[test]
    fn references_in_reply_to_and_missing_parents_make_conversations() {
        let messages = vec![
            message("a", &[], "Plan", 1),
            message("b", &["a"], "Re: Plan", 2),
            message("c", &["a", "b"], "Re: Plan", 3),
            // Both reply to a message we do not have: still one conversation.
            message("d", &["gone"], "Re: Lunch", 4),
            message("e", &["gone"], "Re: Lunch", 5),
            message("f", &[], "Unrelated", 6),
        ];
        assert_eq!(thread(&messages), vec![vec![5], vec![3, 4], vec![0, 1, 2]]);
    }

    #[test]
    fn replies_without_references_fall_back_to_the_subject() {
        let messages = vec![
            message("a", &[], "Budget 2027", 1),
            message("b", &[], "RE: Budget 2027", 2),
            message("c", &[], "Re[2]: AW: budget 2027", 3),
            // Same subject but not a reply: a conversation of its own.
            message("d", &[], "Budget 2027", 4),
        ];
        assert_eq!(thread(&messages), vec![vec![3], vec![0, 1, 2]]);
    }

    #[test]
    fn one_message_in_two_folders_is_one_conversation() {
        let messages = vec![
            message("a", &[], "Hi", 1),
            message("a", &[], "Hi", 1),
            message("b", &["a"], "Re: Hi", 2),
        ];
        assert_eq!(thread(&messages), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn base_subjects() {
        assert_eq!(
            base_subject("Re: Fwd: RE: Hello"),
            ("hello".to_string(), true)
        );
        assert_eq!(base_subject("Hello"), ("hello".to_string(), false));
        assert_eq!(base_subject("Re [12]: x"), ("x".to_string(), true));
        assert_eq!(base_subject("Regarding"), ("regarding".to_string(), false));
        assert_eq!(base_subject("Re[]: x"), ("x".to_string(), true));
        assert_eq!(base_subject("RE: Ré: x"), ("ré: x".to_string(), true));
        // A hostile subject of many prefixes is read once.
        let many = format!("{}Lunch", "Re: Fwd: ".repeat(50_000));
        assert_eq!(base_subject(&many), ("lunch".to_string(), true));
    }
}
