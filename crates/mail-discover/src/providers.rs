//! Tern's table of mail providers: the servers of the domains that hold most mailboxes,
//! how each signs in, whether its SMTP server files sent mail itself, and the mail
//! exchangers that give away a custom domain hosted there. Pure data and lookups.

use crate::types::{Issuer, Security, SignIn};

/// One provider's servers. The login name is the whole address for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    pub name: &'static str,
    pub imap_host: &'static str,
    pub imap_port: u16,
    pub imap_security: Security,
    pub smtp_host: &'static str,
    pub smtp_port: u16,
    pub smtp_security: Security,
    pub sign_in: SignIn,
    /// The provider files mail sent through its SMTP server in Sent by itself (a copy
    /// appended by the client would show twice).
    pub smtp_saves_sent: bool,
    /// The address domains it serves.
    pub domains: &'static [&'static str],
    /// Host name endings of its mail exchangers (a custom domain's MX pointing there is
    /// hosted by it).
    pub mx_suffixes: &'static [&'static str],
}

impl Provider {
    /// Whether the account password is refused and an app password is needed when OAuth2
    /// is not available.
    pub fn needs_app_password(&self) -> bool {
        matches!(
            self.sign_in,
            SignIn::AppPassword
                | SignIn::OAuth2 {
                    app_password: true,
                    ..
                }
        )
    }
}

const fn provider(
    name: &'static str,
    domains: &'static [&'static str],
    imap_host: &'static str,
    smtp_host: &'static str,
    smtp_port: u16,
    sign_in: SignIn,
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
        sign_in,
        smtp_saves_sent: false,
        domains,
        mx_suffixes: &[],
    }
}

const PASSWORD: SignIn = SignIn::Password;
const APP_PASSWORD: SignIn = SignIn::AppPassword;

const GMAIL: Provider = Provider {
    smtp_saves_sent: true,
    mx_suffixes: &["google.com", "googlemail.com"],
    ..provider(
        "Gmail",
        &["gmail.com", "googlemail.com"],
        "imap.gmail.com",
        "smtp.gmail.com",
        465,
        SignIn::OAuth2 {
            issuer: Issuer::Google,
            app_password: true,
        },
    )
};
/// Outlook.com and Microsoft 365: OAuth2 only since 2022 (consumer) and 2024 (business).
const MICROSOFT: Provider = Provider {
    smtp_saves_sent: true,
    mx_suffixes: &["mail.protection.outlook.com", "olc.protection.outlook.com"],
    ..provider(
        "Outlook.com / Microsoft 365",
        &[
            "outlook.com",
            "hotmail.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "live.com",
            "live.co.uk",
            "live.fr",
            "msn.com",
            "outlook.de",
            "outlook.fr",
        ],
        "outlook.office365.com",
        "smtp.office365.com",
        587,
        SignIn::OAuth2 {
            issuer: Issuer::Microsoft,
            app_password: false,
        },
    )
};
const YAHOO: Provider = Provider {
    mx_suffixes: &["yahoodns.net"],
    ..provider(
        "Yahoo Mail",
        &[
            "yahoo.com",
            "ymail.com",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "rocketmail.com",
        ],
        "imap.mail.yahoo.com",
        "smtp.mail.yahoo.com",
        465,
        APP_PASSWORD,
    )
};
const AOL: Provider = provider(
    "AOL Mail",
    &["aol.com", "aim.com"],
    "imap.aol.com",
    "smtp.aol.com",
    465,
    APP_PASSWORD,
);
const ICLOUD: Provider = Provider {
    mx_suffixes: &["mail.icloud.com"],
    ..provider(
        "iCloud Mail",
        &["icloud.com", "me.com", "mac.com"],
        "imap.mail.me.com",
        "smtp.mail.me.com",
        587,
        APP_PASSWORD,
    )
};
const FASTMAIL: Provider = Provider {
    mx_suffixes: &["messagingengine.com"],
    ..provider(
        "Fastmail",
        &["fastmail.com", "fastmail.fm"],
        "imap.fastmail.com",
        "smtp.fastmail.com",
        465,
        APP_PASSWORD,
    )
};
const GMX: Provider = Provider {
    mx_suffixes: &["gmx.net"],
    ..provider(
        "GMX",
        &["gmx.net", "gmx.de", "gmx.com", "gmx.at", "gmx.ch"],
        "imap.gmx.net",
        "mail.gmx.net",
        587,
        PASSWORD,
    )
};
const WEB_DE: Provider = provider(
    "WEB.DE",
    &["web.de"],
    "imap.web.de",
    "smtp.web.de",
    587,
    PASSWORD,
);
const POSTEO: Provider = provider(
    "Posteo",
    &["posteo.de", "posteo.net"],
    "posteo.de",
    "posteo.de",
    465,
    PASSWORD,
);
const MAILBOX_ORG: Provider = provider(
    "mailbox.org",
    &["mailbox.org"],
    "imap.mailbox.org",
    "smtp.mailbox.org",
    465,
    PASSWORD,
);
const ZOHO: Provider = Provider {
    mx_suffixes: &["zoho.com", "zoho.eu"],
    ..provider(
        "Zoho Mail",
        &["zoho.com", "zohomail.com"],
        "imap.zoho.com",
        "smtp.zoho.com",
        465,
        APP_PASSWORD,
    )
};
const YANDEX: Provider = Provider {
    mx_suffixes: &["yandex.net", "yandex.ru"],
    ..provider(
        "Yandex Mail",
        &["yandex.com", "yandex.ru", "ya.ru"],
        "imap.yandex.com",
        "smtp.yandex.com",
        465,
        APP_PASSWORD,
    )
};
const MAIL_RU: Provider = provider(
    "Mail.ru",
    &["mail.ru", "inbox.ru", "list.ru", "bk.ru"],
    "imap.mail.ru",
    "smtp.mail.ru",
    465,
    APP_PASSWORD,
);
const T_ONLINE: Provider = provider(
    "Telekom Mail",
    &["t-online.de", "magenta.de"],
    "secureimap.t-online.de",
    "securesmtp.t-online.de",
    465,
    PASSWORD,
);
const COMCAST: Provider = provider(
    "Xfinity Mail",
    &["comcast.net"],
    "imap.comcast.net",
    "smtp.comcast.net",
    587,
    PASSWORD,
);
const QQ: Provider = provider(
    "QQ Mail",
    &["qq.com", "foxmail.com"],
    "imap.qq.com",
    "smtp.qq.com",
    465,
    APP_PASSWORD,
);
const NETEASE_163: Provider = provider(
    "NetEase 163",
    &["163.com", "126.com"],
    "imap.163.com",
    "smtp.163.com",
    465,
    APP_PASSWORD,
);
const NAVER: Provider = provider(
    "Naver Mail",
    &["naver.com"],
    "imap.naver.com",
    "smtp.naver.com",
    587,
    PASSWORD,
);
const ORANGE: Provider = provider(
    "Orange",
    &["orange.fr", "wanadoo.fr"],
    "imap.orange.fr",
    "smtp.orange.fr",
    465,
    PASSWORD,
);
const FREE: Provider = provider(
    "Free",
    &["free.fr"],
    "imap.free.fr",
    "smtp.free.fr",
    465,
    PASSWORD,
);
const LIBERO: Provider = provider(
    "Libero Mail",
    &["libero.it"],
    "imapmail.libero.it",
    "smtpmail.libero.it",
    465,
    PASSWORD,
);
const SEZNAM: Provider = provider(
    "Seznam",
    &["seznam.cz", "email.cz"],
    "imap.seznam.cz",
    "smtp.seznam.cz",
    465,
    PASSWORD,
);

/// Every provider, most used first.
pub const PROVIDERS: &[Provider] = &[
    GMAIL,
    MICROSOFT,
    YAHOO,
    ICLOUD,
    AOL,
    QQ,
    NETEASE_163,
    MAIL_RU,
    YANDEX,
    GMX,
    WEB_DE,
    T_ONLINE,
    ORANGE,
    FREE,
    LIBERO,
    SEZNAM,
    NAVER,
    COMCAST,
    ZOHO,
    FASTMAIL,
    POSTEO,
    MAILBOX_ORG,
];

/// The provider serving `email`'s domain, if it is in the table.
pub fn provider_for(email: &str) -> Option<Provider> {
    let (_, domain) = crate::address::split_address(email)?;
    provider_for_domain(&domain)
}

/// The provider serving `domain` (lowercase, no trailing dot), if it is in the table.
pub fn provider_for_domain(domain: &str) -> Option<Provider> {
    PROVIDERS
        .iter()
        .find(|provider| provider.domains.contains(&domain))
        .copied()
}

/// The provider whose mail exchangers include `mx_host` (a custom domain hosted there).
pub fn provider_for_mx(mx_host: &str) -> Option<Provider> {
    let host = mx_host.trim_end_matches('.').to_ascii_lowercase();
    PROVIDERS
        .iter()
        .find(|provider| {
            provider.mx_suffixes.iter().any(|suffix| {
                host == *suffix
                    || host
                        .strip_suffix(suffix)
                        .is_some_and(|rest| rest.ends_with('.'))
            })
        })
        .copied()
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
        assert!(
            gmail.needs_app_password(),
            "without OAuth2, an app password"
        );
        assert!(!provider_for("a@posteo.de").expect("posteo").smtp_saves_sent);
        let outlook = provider_for("a@hotmail.com").expect("outlook");
        assert_eq!(outlook.smtp_port, 587);
        assert_eq!(outlook.smtp_security, Security::StartTls);
        assert_eq!(
            outlook.sign_in,
            SignIn::OAuth2 {
                issuer: Issuer::Microsoft,
                app_password: false
            }
        );
        assert!(!outlook.needs_app_password());
    }

    #[test]
    fn unknown_or_malformed_addresses_have_none() {
        assert_eq!(provider_for("me@example.org"), None);
        assert_eq!(provider_for("no-at-sign"), None);
        assert_eq!(provider_for("a@gmail.com.evil.org"), None);
        assert_eq!(provider_for("a@evilgmail.com"), None);
    }

    #[test]
    fn mail_exchangers_give_away_the_host_of_a_custom_domain() {
        let cases = [
            ("aspmx.l.google.com.", Some("Gmail")),
            ("ALT1.ASPMX.L.GOOGLE.COM", Some("Gmail")),
            (
                "example-org.mail.protection.outlook.com",
                Some("Outlook.com / Microsoft 365"),
            ),
            ("in1-smtp.messagingengine.com", Some("Fastmail")),
            ("mx01.mail.icloud.com", Some("iCloud Mail")),
            ("mx.zoho.eu", Some("Zoho Mail")),
            ("mx.example.org", None),
            ("notgoogle.com", None),
            ("google.com.evil.org", None),
        ];
        for (mx, expected) in cases {
            assert_eq!(provider_for_mx(mx).map(|p| p.name), expected, "{mx}");
        }
    }

    #[test]
    fn the_table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for provider in PROVIDERS {
            assert!(!provider.domains.is_empty(), "{}", provider.name);
            for domain in provider.domains {
                assert!(seen.insert(*domain), "{domain} twice");
                assert!(crate::address::is_host_name(domain), "{domain}");
            }
            for host in [provider.imap_host, provider.smtp_host] {
                assert!(crate::address::is_host_name(host), "{host}");
            }
            assert_ne!(provider.imap_security, Security::Plain, "{}", provider.name);
            assert_ne!(provider.smtp_security, Security::Plain, "{}", provider.name);
        }
    }
}
