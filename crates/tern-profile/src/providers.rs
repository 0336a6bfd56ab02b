//! Server settings of well-known mail providers, filled in from the address's domain when a
//! person adds an account (they can still change every field).

use mail_store::Security;

/// One provider's servers. The user name is the full address for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    pub name: &'static str,
    pub imap_host: &'static str,
    pub imap_port: u16,
    pub imap_security: Security,
    pub smtp_host: &'static str,
    pub smtp_port: u16,
    pub smtp_security: Security,
    /// Providers that refuse the account password for IMAP and want an app password.
    pub needs_app_password: bool,
    /// The provider files mail sent through its SMTP server in Sent by itself (a copy
    /// appended by the client would show twice).
    pub smtp_saves_sent: bool,
}

const fn provider(
    name: &'static str,
    imap_host: &'static str,
    smtp_host: &'static str,
    smtp_port: u16,
    needs_app_password: bool,
) -> Provider {
    Provider {
        name,
        imap_host,
        imap_port: 993,
        imap_security: Security::Tls,
        smtp_host,
        smtp_port,
        smtp_security: if smtp_port == 465 {
            Security::Tls
        } else {
            Security::StartTls
        },
        needs_app_password,
        smtp_saves_sent: false,
    }
}

impl Provider {
    /// The SMTP server a new account of this provider gets.
    pub fn smtp_server(&self) -> mail_store::SmtpServer {
        mail_store::SmtpServer {
            host: self.smtp_host.to_string(),
            port: self.smtp_port,
            security: self.smtp_security,
            username: None,
            allow_plaintext: false,
            saves_sent: self.smtp_saves_sent,
        }
    }
}

const GMAIL: Provider = Provider {
    smtp_saves_sent: true,
    ..provider("Gmail", "imap.gmail.com", "smtp.gmail.com", 465, true)
};
const OUTLOOK: Provider = Provider {
    smtp_saves_sent: true,
    ..provider(
        "Outlook.com",
        "outlook.office365.com",
        "smtp-mail.outlook.com",
        587,
        false,
    )
};
const YAHOO: Provider = provider(
    "Yahoo Mail",
    "imap.mail.yahoo.com",
    "smtp.mail.yahoo.com",
    465,
    true,
);
const ICLOUD: Provider = provider(
    "iCloud Mail",
    "imap.mail.me.com",
    "smtp.mail.me.com",
    587,
    true,
);
const FASTMAIL: Provider = provider(
    "Fastmail",
    "imap.fastmail.com",
    "smtp.fastmail.com",
    465,
    true,
);
const AOL: Provider = provider("AOL Mail", "imap.aol.com", "smtp.aol.com", 465, true);
const GMX: Provider = provider("GMX", "imap.gmx.net", "mail.gmx.net", 587, false);
const WEB_DE: Provider = provider("WEB.DE", "imap.web.de", "smtp.web.de", 587, false);
const POSTEO: Provider = provider("Posteo", "posteo.de", "posteo.de", 465, false);
const MAILBOX_ORG: Provider = provider(
    "mailbox.org",
    "imap.mailbox.org",
    "smtp.mailbox.org",
    465,
    false,
);
const ZOHO: Provider = provider("Zoho Mail", "imap.zoho.com", "smtp.zoho.com", 465, false);
const YANDEX: Provider = provider(
    "Yandex Mail",
    "imap.yandex.com",
    "smtp.yandex.com",
    465,
    true,
);

const TABLE: &[(&str, Provider)] = &[
    ("gmail.com", GMAIL),
    ("googlemail.com", GMAIL),
    ("outlook.com", OUTLOOK),
    ("hotmail.com", OUTLOOK),
    ("live.com", OUTLOOK),
    ("msn.com", OUTLOOK),
    ("yahoo.com", YAHOO),
    ("ymail.com", YAHOO),
    ("icloud.com", ICLOUD),
    ("me.com", ICLOUD),
    ("mac.com", ICLOUD),
    ("fastmail.com", FASTMAIL),
    ("fastmail.fm", FASTMAIL),
    ("aol.com", AOL),
    ("gmx.net", GMX),
    ("gmx.de", GMX),
    ("gmx.com", GMX),
    ("web.de", WEB_DE),
    ("posteo.de", POSTEO),
    ("posteo.net", POSTEO),
    ("mailbox.org", MAILBOX_ORG),
    ("zoho.com", ZOHO),
    ("zohomail.com", ZOHO),
    ("yandex.com", YANDEX),
    ("yandex.ru", YANDEX),
];

/// The provider serving `email`'s domain, if it is a well-known one.
pub fn provider_for(email: &str) -> Option<Provider> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(known, _)| *known == domain)
        .map(|(_, provider)| *provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_domains_fill_the_servers() {
        let gmail = provider_for("Someone@GMail.com").expect("gmail");
        assert_eq!(gmail.imap_host, "imap.gmail.com");
        assert_eq!(gmail.imap_port, 993);
        assert_eq!(gmail.imap_security, Security::Tls);
        assert_eq!(gmail.smtp_security, Security::Tls);
        assert!(gmail.smtp_saves_sent, "Gmail files sent mail itself");
        assert!(!provider_for("a@posteo.de").expect("posteo").smtp_saves_sent);
        let outlook = provider_for("a@hotmail.com").expect("outlook");
        assert_eq!(outlook.smtp_port, 587);
        assert_eq!(outlook.smtp_security, Security::StartTls);
    }

    #[test]
    fn unknown_or_malformed_addresses_have_none() {
        assert_eq!(provider_for("me@example.org"), None);
        assert_eq!(provider_for("no-at-sign"), None);
        assert_eq!(provider_for("a@gmail.com.evil.org"), None);
    }
}
