//! The search's decisions, pure: which steps run (all at once), which answer wins (the
//! first step in order that found something, once every step before it has given up), the
//! host names guessed, and the settings each kind of answer makes.

use crate::autoconfig::Config;
use crate::providers::Provider;
use crate::types::{Found, Security, Server, SignIn, Source};

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Failed,
    Found,
}

/// What the steps so far decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Step `index` found the answer: no step before it can still find one.
    Answer(usize),
    /// A step before the best one found so far is still running.
    Wait,
    /// Every step gave up.
    Nothing,
}

/// The answer the steps (in order of preference) give so far.
pub fn settled(states: &[StepState]) -> Settled {
    for (index, state) in states.iter().enumerate() {
        match state {
            StepState::Found => return Settled::Answer(index),
            StepState::Pending => return Settled::Wait,
            StepState::Failed => {}
        }
    }
    Settled::Nothing
}

/// At the deadline: the first step that found something, whatever is still running.
pub fn best_at_deadline(states: &[StepState]) -> Option<usize> {
    states.iter().position(|state| *state == StepState::Found)
}

/// Host names and ports guessed for IMAP, in order of preference.
pub fn imap_guesses(domain: &str) -> Vec<Server> {
    vec![
        Server::new(format!("imap.{domain}"), 993, Security::Tls),
        Server::new(format!("mail.{domain}"), 993, Security::Tls),
        Server::new(format!("imap.{domain}"), 143, Security::StartTls),
        Server::new(format!("mail.{domain}"), 143, Security::StartTls),
    ]
}

/// Host names and ports guessed for submission, in order of preference.
pub fn smtp_guesses(domain: &str) -> Vec<Server> {
    vec![
        Server::new(format!("smtp.{domain}"), 465, Security::Tls),
        Server::new(format!("mail.{domain}"), 465, Security::Tls),
        Server::new(format!("smtp.{domain}"), 587, Security::StartTls),
        Server::new(format!("mail.{domain}"), 587, Security::StartTls),
    ]
}

/// A table provider's settings for `email`.
pub fn from_provider(provider: &Provider, email: &str, source: Source) -> Found {
    Found {
        provider: Some(provider.name.to_string()),
        imap: Server::new(
            provider.imap_host,
            provider.imap_port,
            provider.imap_security,
        ),
        smtp: Some(Server::new(
            provider.smtp_host,
            provider.smtp_port,
            provider.smtp_security,
        )),
        username: email.trim().to_string(),
        sign_in: provider.sign_in,
        saves_sent: provider.smtp_saves_sent,
        source,
    }
}

/// An autoconfig document's settings. A document that asks for OAuth2 from a provider not
/// in the table cannot be signed in to: `None`.
pub fn from_config(config: Config, source: Source) -> Option<Found> {
    if config.oauth2_only {
        return None;
    }
    Some(Found {
        provider: config.display_name,
        imap: config.imap,
        smtp: config.smtp,
        username: config.username,
        sign_in: SignIn::Password,
        saves_sent: false,
        source,
    })
}

/// Servers found by SRV records or guesses.
pub fn from_servers(imap: Server, smtp: Option<Server>, email: &str, source: Source) -> Found {
    Found {
        provider: None,
        imap,
        smtp,
        username: email.trim().to_string(),
        sign_in: SignIn::Password,
        saves_sent: false,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::StepState::{Failed as F, Found as Y, Pending as P};
    use super::*;

    #[test]
    fn the_first_step_that_found_wins_once_the_ones_before_gave_up() {
        let cases: [(&[StepState], Settled, Option<usize>); 8] = [
            (&[], Settled::Nothing, None),
            (&[F, F, F], Settled::Nothing, None),
            (&[Y, P, P], Settled::Answer(0), Some(0)),
            (&[P, Y, P], Settled::Wait, Some(1)),
            (&[F, Y, P], Settled::Answer(1), Some(1)),
            (&[F, F, P, Y], Settled::Wait, Some(3)),
            (&[F, F, F, Y], Settled::Answer(3), Some(3)),
            (&[P, P, P], Settled::Wait, None),
        ];
        for (states, expected, at_deadline) in cases {
            assert_eq!(settled(states), expected, "{states:?}");
            assert_eq!(best_at_deadline(states), at_deadline, "{states:?}");
        }
    }

    #[test]
    fn guesses_try_implicit_tls_first() {
        let imap = imap_guesses("example.org");
        assert_eq!(imap[0], Server::new("imap.example.org", 993, Security::Tls));
        assert!(imap.iter().all(|server| server.security != Security::Plain));
        let smtp = smtp_guesses("example.org");
        assert_eq!(smtp[0], Server::new("smtp.example.org", 465, Security::Tls));
        assert_eq!(
            smtp[3],
            Server::new("mail.example.org", 587, Security::StartTls)
        );
    }

    #[test]
    fn an_oauth2_only_document_of_an_unknown_provider_is_not_an_answer() {
        let config = Config {
            display_name: None,
            imap: Server::new("imap.x.org", 993, Security::Tls),
            smtp: None,
            username: "a@x.org".into(),
            oauth2_only: true,
        };
        assert_eq!(from_config(config.clone(), Source::Srv), None);
        let usable = Config {
            oauth2_only: false,
            ..config
        };
        let found = from_config(usable, Source::Srv).expect("found");
        assert_eq!(found.sign_in, SignIn::Password);
    }
}
