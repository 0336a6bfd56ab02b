//! Discovery against a pretend Internet on a private loopback address: a DNS server, an
//! HTTPS server with a test CA, and TLS services on their real ports. Each source on its
//! own, the order among them, a bad certificate, plain http, and a search that finds
//! nothing and says what it tried — all within the deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mail_discover::{
    discover, DiscoverOptions, Discovery, Found, Security, Server, SignIn, Source,
};
use tern_testkit::internet::{Internet, Service};

fn document(domain: &str, imap_host: &str, smtp_port: u16) -> String {
    format!(
        r#"<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="{domain}">
  <domain>{domain}</domain><displayName>{domain} mail</displayName>
  <incomingServer type="imap"><hostname>{imap_host}</hostname><port>993</port>
    <socketType>SSL</socketType><authentication>password-cleartext</authentication>
    <username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>smtp.%EMAILDOMAIN%</hostname><port>{smtp_port}</port>
    <socketType>STARTTLS</socketType><authentication>password-cleartext</authentication>
    <username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>"#
    )
}

fn options(internet: &Internet) -> DiscoverOptions {
    DiscoverOptions {
        name_servers: Some(vec![internet.dns.addr]),
        ..DiscoverOptions::new(internet.client_tls().unwrap())
    }
}

async fn search(email: &str, options: &DiscoverOptions) -> (Discovery, Found) {
    let discovery = discover(email, options).await.expect("searched");
    let found = discovery
        .found
        .clone()
        .unwrap_or_else(|| panic!("nothing found: {discovery:#?}"));
    assert!(
        discovery.ms < options.deadline.as_millis() as u64 + 500,
        "within the deadline: {discovery:#?}"
    );
    (discovery, found)
}

#[tokio::test]
async fn a_known_provider_needs_no_network() {
    let internet = Internet::start(&["unused.test"]).await.unwrap();
    let (discovery, found) = search("someone@Gmail.com", &options(&internet)).await;
    assert_eq!(found.source, Source::Table);
    assert_eq!(
        found.imap,
        Server::new("imap.gmail.com", 993, Security::Tls)
    );
    assert!(found.saves_sent);
    assert!(matches!(found.sign_in, SignIn::OAuth2 { .. }));
    assert_eq!(discovery.tried.len(), 1);
    assert!(
        internet.dns.zone.lock().unwrap().asked.is_empty(),
        "no DNS question"
    );
}

#[tokio::test]
async fn the_domains_autoconfig_document_is_found_and_read() {
    let mut internet = Internet::start(&["autoconfig.acme.test"]).await.unwrap();
    internet
        .serve_https(&[(
            "autoconfig.acme.test/mail/config-v1.1.xml",
            &document("acme.test", "imap.acme.test", 587),
        )])
        .await
        .unwrap();
    let (_, found) = search("alice@acme.test", &options(&internet)).await;
    assert_eq!(
        found.source,
        Source::Autoconfig {
            url: "https://autoconfig.acme.test/mail/config-v1.1.xml?emailaddress=alice%40acme.test"
                .into()
        }
    );
    assert!(found.source.is_trustworthy());
    assert_eq!(
        found.imap,
        Server::new("imap.acme.test", 993, Security::Tls)
    );
    assert_eq!(
        found.smtp,
        Some(Server::new("smtp.acme.test", 587, Security::StartTls))
    );
    assert_eq!(found.username, "alice");
    assert_eq!(found.provider.as_deref(), Some("acme.test mail"));
    assert!(internet
        .requests()
        .iter()
        .any(|request| request.contains("emailaddress=alice%40acme.test")));
}

#[tokio::test]
async fn the_well_known_path_is_tried_when_there_is_no_autoconfig_host() {
    let mut internet = Internet::start(&["wellknown.test"]).await.unwrap();
    internet
        .serve_https(&[(
            "wellknown.test/.well-known/autoconfig/mail/config-v1.1.xml",
            &document("wellknown.test", "mail.wellknown.test", 465),
        )])
        .await
        .unwrap();
    let (_, found) = search("bob@wellknown.test", &options(&internet)).await;
    assert_eq!(
        found.source,
        Source::Autoconfig {
            url: "https://wellknown.test/.well-known/autoconfig/mail/config-v1.1.xml".into()
        }
    );
    assert_eq!(found.imap.host, "mail.wellknown.test");
}

#[tokio::test]
async fn a_custom_domain_hosted_by_microsoft_is_recognised_by_its_mail_exchanger() {
    let internet = Internet::start(&["unused.test"]).await.unwrap();
    internet
        .dns
        .edit(|zone| {
            zone.mx(
                "contoso.test",
                0,
                "contoso-test.mail.protection.outlook.com",
            )
        })
        .unwrap();
    let (_, found) = search("carol@contoso.test", &options(&internet)).await;
    assert_eq!(
        found.source,
        Source::MxProvider {
            mx: "contoso-test.mail.protection.outlook.com".into()
        }
    );
    assert_eq!(found.imap.host, "outlook.office365.com");
    assert_eq!(found.username, "carol@contoso.test");
    assert!(matches!(found.sign_in, SignIn::OAuth2 { .. }));
}

#[tokio::test]
async fn a_domain_hosted_elsewhere_gets_its_hosters_autoconfig() {
    let mut internet = Internet::start(&["autoconfig.hoster.test"]).await.unwrap();
    internet
        .dns
        .edit(|zone| {
            zone.mx("smallshop.test", 20, "mx2.hoster.test")?;
            zone.mx("smallshop.test", 10, "mx1.hoster.test")
        })
        .unwrap();
    internet
        .serve_https(&[(
            "autoconfig.hoster.test/mail/config-v1.1.xml",
            &document("hoster.test", "imap.hoster.test", 587),
        )])
        .await
        .unwrap();
    let (_, found) = search("dan@smallshop.test", &options(&internet)).await;
    assert_eq!(
        found.source,
        Source::MxAutoconfig {
            mx: "mx1.hoster.test".into(),
            url: "https://autoconfig.hoster.test/mail/config-v1.1.xml?emailaddress=dan%40smallshop.test"
                .into()
        }
    );
    assert_eq!(found.imap.host, "imap.hoster.test");
    assert_eq!(found.smtp.unwrap().host, "smtp.smallshop.test");
}

#[tokio::test]
async fn srv_records_announce_the_servers() {
    let internet = Internet::start(&["unused.test"]).await.unwrap();
    internet
        .dns
        .edit(|zone| {
            zone.srv("_imaps._tcp.srv.test", 0, 1, 993, "imap.srv.test")?;
            zone.srv("_imap._tcp.srv.test", 0, 1, 143, "imap.srv.test")?;
            zone.srv("_submissions._tcp.srv.test", 0, 0, 0, ".")?;
            zone.srv("_submission._tcp.srv.test", 0, 1, 587, "smtp.srv.test")
        })
        .unwrap();
    let (_, found) = search("erin@srv.test", &options(&internet)).await;
    assert_eq!(found.source, Source::Srv);
    assert_eq!(found.imap, Server::new("imap.srv.test", 993, Security::Tls));
    assert_eq!(
        found.smtp,
        Some(Server::new("smtp.srv.test", 587, Security::StartTls))
    );
}

#[tokio::test]
async fn guessed_servers_count_only_after_a_real_tls_handshake() {
    let mut internet = Internet::start(&["imap.guess.test", "smtp.guess.test", "mail.guess.test"])
        .await
        .unwrap();
    internet.serve(143, Service::ImapStartTls).await.unwrap();
    internet.serve(587, Service::SmtpStartTls).await.unwrap();
    let (discovery, found) = search("fay@guess.test", &options(&internet)).await;
    assert_eq!(found.source, Source::Guess);
    assert_eq!(
        found.imap,
        Server::new("imap.guess.test", 143, Security::StartTls)
    );
    assert_eq!(
        found.smtp,
        Some(Server::new("smtp.guess.test", 587, Security::StartTls))
    );
    assert!(discovery
        .tried
        .iter()
        .any(|attempt| attempt.what == "guess imap.guess.test:993" && attempt.outcome != "found"));

    // Implicit TLS is preferred when both answer.
    internet.serve(993, Service::ImapTls).await.unwrap();
    internet.serve(465, Service::SmtpTls).await.unwrap();
    let (_, found) = search("fay@guess.test", &options(&internet)).await;
    assert_eq!(
        found.imap,
        Server::new("imap.guess.test", 993, Security::Tls)
    );
    assert_eq!(
        found.smtp,
        Some(Server::new("smtp.guess.test", 465, Security::Tls))
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_not_a_good_guess() {
    let mut internet = Internet::start(&["other.test"]).await.unwrap();
    internet
        .dns
        .edit(|zone| {
            zone.a("imap.badcert.test", internet.ip);
            Ok(())
        })
        .unwrap();
    internet.serve(993, Service::ImapTls).await.unwrap();
    let discovery = discover("gus@badcert.test", &options(&internet))
        .await
        .unwrap();
    assert_eq!(discovery.found, None, "{discovery:#?}");
    let tried = discovery
        .tried
        .iter()
        .find(|attempt| attempt.what == "guess imap.badcert.test:993")
        .expect("tried");
    assert!(tried.outcome.contains("TLS"), "{tried:?}");
}

#[tokio::test]
async fn the_preferred_source_wins_when_several_answer() {
    let mut internet = Internet::start(&["autoconfig.both.test", "imap.both.test"])
        .await
        .unwrap();
    internet
        .serve_https(&[(
            "autoconfig.both.test/mail/config-v1.1.xml",
            &document("both.test", "imap.both.test", 587),
        )])
        .await
        .unwrap();
    internet.serve(993, Service::ImapTls).await.unwrap();
    internet
        .dns
        .edit(|zone| zone.srv("_imaps._tcp.both.test", 0, 1, 993, "srv-imap.both.test"))
        .unwrap();
    // The document comes last, yet wins: it is the preferred source.
    internet.set_latency(Duration::from_millis(100)).unwrap();
    let (_, found) = search("hal@both.test", &options(&internet)).await;
    assert!(
        matches!(found.source, Source::Autoconfig { .. }),
        "{found:?}"
    );
}

#[tokio::test]
async fn plain_http_is_asked_only_when_allowed_and_never_trusted() {
    let mut internet = Internet::start(&["autoconfig.plain.test"]).await.unwrap();
    internet
        .serve_plain_http(&[(
            "autoconfig.plain.test/mail/config-v1.1.xml",
            &document("plain.test", "imap.plain.test", 587),
        )])
        .await
        .unwrap();
    let short = DiscoverOptions {
        deadline: Duration::from_secs(2),
        ..options(&internet)
    };
    let discovery = discover("ivy@plain.test", &short).await.unwrap();
    assert_eq!(discovery.found, None, "https only by default");
    assert!(internet.requests().is_empty(), "{:?}", internet.requests());

    let allowed = DiscoverOptions {
        allow_http: true,
        ..short
    };
    let (_, found) = search("ivy@plain.test", &allowed).await;
    assert!(matches!(&found.source, Source::Autoconfig { url } if url.starts_with("http://")));
    assert!(
        !found.source.is_trustworthy(),
        "no password for settings read over http"
    );
}

#[tokio::test]
async fn nothing_found_says_everything_it_tried_within_the_deadline() {
    let internet = Internet::start(&["unused.test"]).await.unwrap();
    let discovery = discover("joe@nowhere.test", &options(&internet))
        .await
        .unwrap();
    assert_eq!(discovery.found, None);
    let tried: Vec<&str> = discovery.tried.iter().map(|a| a.what.as_str()).collect();
    for expected in [
        "provider table nowhere.test",
        "autoconfig https://autoconfig.nowhere.test/mail/config-v1.1.xml?emailaddress=joe%40nowhere.test",
        "autoconfig https://nowhere.test/.well-known/autoconfig/mail/config-v1.1.xml",
        "MX nowhere.test",
        "SRV _imaps._tcp.nowhere.test",
        "SRV _submission._tcp.nowhere.test",
        "guess imap.nowhere.test:993",
        "guess mail.nowhere.test:587",
    ] {
        assert!(tried.contains(&expected), "{expected} not in {tried:#?}");
    }
    assert!(discovery.ms < 3_500, "{}", discovery.ms);
    assert!(matches!(
        discover("not an address", &options(&internet)).await,
        Err(mail_discover::DiscoverError::InvalidAddress(_))
    ));
}
