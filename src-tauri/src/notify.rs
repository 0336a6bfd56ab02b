//! New-mail notifications: which arrivals deserve one, and how a burst is grouped. The
//! engine announces only mail that arrived while watched and is not already \Seen (never an
//! initial sync or a resync), so the rules here are the window's: INBOX only, not while the
//! window shows INBOX, not when turned off; more than a few at once become one summary.
//! Clicking a notice opens what it tells about (the message, or for a summary the folder);
//! a notice of one message also offers "Mark as read" where the server shows actions.

use std::time::Duration;

/// An arrival worth telling about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub folder: String,
    pub from: String,
    pub subject: String,
    /// The account it came to.
    pub account: String,
    pub uid: u64,
}

/// What a notice is about: what clicking it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Message {
        account: String,
        folder: String,
        uid: u64,
    },
    /// A folder; no account: the unified inbox.
    Folder {
        account: Option<String>,
        folder: String,
    },
}

/// One OS notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub opens: Target,
}

/// The action key the specification gives a click on the notice itself.
pub const OPEN: &str = "default";
/// "Mark as read".
pub const MARK_READ: &str = "mark-read";

/// What a person asked for from a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invoked {
    Open(Target),
    MarkRead {
        account: String,
        folder: String,
        uid: u64,
    },
}

impl Target {
    /// What invoking `key` on a notice about this asks for; `None` for a key it never offered.
    pub fn invoked(&self, key: &str) -> Option<Invoked> {
        match (key, self) {
            (OPEN, target) => Some(Invoked::Open(target.clone())),
            (
                MARK_READ,
                Target::Message {
                    account,
                    folder,
                    uid,
                },
            ) => Some(Invoked::MarkRead {
                account: account.clone(),
                folder: folder.clone(),
                uid: *uid,
            }),
            _ => None,
        }
    }
}

impl Notice {
    /// What goes to the notification server. Names and subjects are a stranger's words:
    /// control characters become spaces, and the body — which servers with the
    /// `body-markup` capability (GNOME, KDE, dunst, mako, Xfce: nearly all) read as markup —
    /// has `&`, `<` and `>` escaped, so a subject like `<a href=…>` or `<img src=…>` shows as
    /// text and loads nothing. The summary (title) is plain text by the specification.
    pub fn for_server(&self) -> Notice {
        Notice {
            title: plain_line(&self.title),
            body: escape_markup(&plain_line(&self.body)),
            opens: self.opens.clone(),
        }
    }

    /// The actions (key, label) to offer: opening it always; marking a single message read
    /// where the server shows buttons (`actions` among its capabilities).
    pub fn actions(&self, server_has_actions: bool) -> Vec<(&'static str, &'static str)> {
        let mut actions = vec![(OPEN, "Open")];
        if server_has_actions && matches!(self.opens, Target::Message { .. }) {
            actions.push((MARK_READ, "Mark as read"));
        }
        actions
    }
}

fn plain_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Arrivals this close together are one burst.
pub const BURST_WINDOW: Duration = Duration::from_millis(400);

/// Up to this many arrivals in a burst get a notification each; more get one summary.
pub const MAX_SINGLE: usize = 3;

/// What the window looks like when an arrival is announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    pub enabled: bool,
    pub window_focused: bool,
    /// The folder the window shows, and whose it is.
    pub folder: Option<String>,
    pub account: Option<String>,
    /// The profile has more than one account: notices name the account.
    pub several_accounts: bool,
}

/// Whether `arrival` may notify at all.
pub fn wanted(arrival: &Arrival, attention: &Attention) -> bool {
    let on_screen = attention.window_focused
        && attention
            .folder
            .as_deref()
            .is_some_and(|folder| folder.eq_ignore_ascii_case(&arrival.folder))
        && attention
            .account
            .as_deref()
            .is_none_or(|account| account.eq_ignore_ascii_case(&arrival.account));
    attention.enabled && arrival.folder.eq_ignore_ascii_case("INBOX") && !on_screen
}

/// The notifications for one burst of wanted arrivals; with `several_accounts`, each says
/// which account the mail came to.
pub fn notices(burst: &[Arrival], several_accounts: bool) -> Vec<Notice> {
    if burst.len() <= MAX_SINGLE {
        return burst
            .iter()
            .map(|arrival| Notice {
                title: if arrival.from.is_empty() {
                    "New message".to_string()
                } else {
                    arrival.from.clone()
                },
                body: {
                    let subject = if arrival.subject.is_empty() {
                        "(no subject)"
                    } else {
                        arrival.subject.as_str()
                    };
                    if several_accounts {
                        format!("{subject} (to {})", arrival.account)
                    } else {
                        subject.to_string()
                    }
                },
                opens: Target::Message {
                    account: arrival.account.clone(),
                    folder: arrival.folder.clone(),
                    uid: arrival.uid,
                },
            })
            .collect();
    }
    let mut senders: Vec<&str> = Vec::new();
    for arrival in burst {
        if !arrival.from.is_empty() && !senders.contains(&arrival.from.as_str()) {
            senders.push(&arrival.from);
        }
    }
    let body = match senders.len() {
        0 => String::new(),
        1 => format!("From {}", senders[0]),
        2 => format!("From {} and {}", senders[0], senders[1]),
        _ => format!("From {}, {} and others", senders[0], senders[1]),
    };
    let mut accounts: Vec<&str> = Vec::new();
    for arrival in burst {
        if several_accounts && !accounts.contains(&arrival.account.as_str()) {
            accounts.push(&arrival.account);
        }
    }
    let title = match accounts.as_slice() {
        [] => format!("{} new messages", burst.len()),
        [account] => format!("{} new messages for {account}", burst.len()),
        several => format!("{} new messages in {} accounts", burst.len(), several.len()),
    };
    // The summary opens the INBOX they came to: one account's, or the unified inbox.
    let first = &burst[0];
    let one_account = burst
        .iter()
        .all(|arrival| arrival.account.eq_ignore_ascii_case(&first.account));
    let opens = Target::Folder {
        account: one_account.then(|| first.account.clone()),
        folder: first.folder.clone(),
    };
    vec![Notice { title, body, opens }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(from: &str, subject: &str) -> Arrival {
        Arrival {
            folder: "INBOX".into(),
            from: from.into(),
            subject: subject.into(),
            account: "me@x.test".into(),
            uid: 7,
        }
    }

    fn message(account: &str, uid: u64) -> Target {
        Target::Message {
            account: account.into(),
            folder: "INBOX".into(),
            uid,
        }
    }

    fn to(account: &str, arrival: Arrival) -> Arrival {
        Arrival {
            account: account.into(),
            ..arrival
        }
    }

    #[test]
    fn with_several_accounts_a_notice_names_the_account() {
        assert_eq!(
            notices(&[to("work@x.test", arrival("Ann", "Lunch?"))], true),
            vec![Notice {
                title: "Ann".into(),
                body: "Lunch? (to work@x.test)".into(),
                opens: message("work@x.test", 7),
            }]
        );
        let one: Vec<_> = (0..5)
            .map(|_| to("work@x.test", arrival("Ann", "x")))
            .collect();
        assert_eq!(
            notices(&one, true)[0].title,
            "5 new messages for work@x.test"
        );
        assert_eq!(notices(&one, false)[0].title, "5 new messages");
        let two: Vec<_> = (0..5)
            .map(|n| to(["work@x.test", "home@y.test"][n % 2], arrival("Ann", "x")))
            .collect();
        assert_eq!(notices(&two, true)[0].title, "5 new messages in 2 accounts");
        // A summary opens the INBOX: that account's, or with several the unified inbox.
        assert_eq!(
            notices(&one, true)[0].opens,
            Target::Folder {
                account: Some("work@x.test".into()),
                folder: "INBOX".into()
            }
        );
        assert_eq!(
            notices(&two, true)[0].opens,
            Target::Folder {
                account: None,
                folder: "INBOX".into()
            }
        );
    }

    #[test]
    fn a_notice_opens_what_it_tells_of_and_marks_one_message_read() {
        let single = &notices(&[arrival("Ann", "Lunch?")], false)[0];
        assert_eq!(
            single.actions(true),
            vec![(OPEN, "Open"), (MARK_READ, "Mark as read")]
        );
        assert_eq!(single.actions(false), vec![(OPEN, "Open")]);
        assert_eq!(
            single.opens.invoked(OPEN),
            Some(Invoked::Open(message("me@x.test", 7)))
        );
        assert_eq!(
            single.opens.invoked(MARK_READ),
            Some(Invoked::MarkRead {
                account: "me@x.test".into(),
                folder: "INBOX".into(),
                uid: 7
            })
        );
        assert_eq!(single.opens.invoked("delete-everything"), None);
        let burst: Vec<_> = (0..5).map(|_| arrival("Ann", "x")).collect();
        let summary = &notices(&burst, false)[0];
        assert_eq!(summary.actions(true), vec![(OPEN, "Open")]);
        assert_eq!(summary.opens.invoked(MARK_READ), None);
    }

    #[test]
    fn a_few_arrivals_get_one_notification_each() {
        let burst = [arrival("Ann", "Lunch?"), arrival("", "")];
        assert_eq!(
            notices(&burst, false),
            vec![
                Notice {
                    title: "Ann".into(),
                    body: "Lunch?".into(),
                    opens: message("me@x.test", 7),
                },
                Notice {
                    title: "New message".into(),
                    body: "(no subject)".into(),
                    opens: message("me@x.test", 7),
                }
            ]
        );
    }

    #[test]
    fn strangers_words_reach_the_server_as_text() {
        let notice = Notice {
            title: "Eve <eve@x>\u{1b}]0;t\u{7}".into(),
            body: "<a href=\"http://x/\">Win</a> & <img src=http://x/p.gif>\nnext".into(),
            opens: message("me@x.test", 1),
        }
        .for_server();
        assert_eq!(notice.title, "Eve <eve@x> ]0;t ");
        assert_eq!(
            notice.body,
            "&lt;a href=\"http://x/\"&gt;Win&lt;/a&gt; &amp; &lt;img src=http://x/p.gif&gt; next"
        );
    }

    #[test]
    fn a_burst_is_one_summary() {
        let burst: Vec<_> = (0..12)
            .map(|n| arrival(["Ann", "Bob", "Cy"][n % 3], "x"))
            .collect();
        assert_eq!(
            notices(&burst, false),
            vec![Notice {
                title: "12 new messages".into(),
                body: "From Ann, Bob and others".into(),
                opens: Target::Folder {
                    account: Some("me@x.test".into()),
                    folder: "INBOX".into()
                },
            }]
        );
    }

    #[test]
    fn only_inbox_when_enabled_and_not_on_screen() {
        let inbox = arrival("Ann", "x");
        let mut attention = Attention {
            enabled: true,
            window_focused: false,
            folder: Some("INBOX".into()),
            account: Some("me@x.test".into()),
            several_accounts: false,
        };
        assert!(wanted(&inbox, &attention));
        attention.window_focused = true;
        assert!(!wanted(&inbox, &attention), "INBOX is on screen");
        assert!(
            wanted(&to("other@y.test", inbox.clone()), &attention),
            "another account's INBOX is not the one on screen"
        );
        attention.folder = Some("Archive".into());
        assert!(wanted(&inbox, &attention), "another folder is on screen");
        attention.enabled = false;
        assert!(!wanted(&inbox, &attention), "turned off");
        let elsewhere = Arrival {
            folder: "Lists".into(),
            ..inbox
        };
        assert!(!wanted(
            &elsewhere,
            &Attention {
                enabled: true,
                ..Attention::default()
            }
        ));
    }
}
