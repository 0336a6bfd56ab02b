//! OAuth2 end to end on this machine: a mock authorization server, a Dovecot that checks
//! bearer tokens by introspection. Sign-in by the browser flow (the test plays the browser)
//! and by the device flow (the test approves); IMAP with XOAUTH2 and OAUTHBEARER; an engine
//! whose tokens expire and are refreshed; a revoked grant means "sign in again".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use mail_engine::EngineOptions;
use std::time::Duration;

use mail_engine::{
    AccessToken, BearerMechanism, ConnectSettings, Credentials, Engine, ErrorKind, ImapConnection,
    Secret, Timeouts,
};
use mail_oauth::{
    custom, device_flow, sign_in_in_browser, Http, Issuer, Metadata, RefreshTokenStore,
    RefreshingTokens, StoreFuture,
};
use mail_store::Security;
use tern_testkit::oauth::{play_browser, MockIdp};
use tern_testkit::Dovecot;

const CLIENT: &str = "tern-test-client";

fn tls() -> Arc<rustls::ClientConfig> {
    mail_engine::tls_client_config(None).unwrap()
}

async fn issuer(idp: &MockIdp, http: &Http) -> Issuer {
    let metadata: Metadata = http
        .get_json(&format!(
            "{}/.well-known/oauth-authorization-server",
            idp.issuer()
        ))
        .await
        .unwrap();
    custom(&idp.issuer(), metadata, CLIENT, vec!["mail".into()]).unwrap()
}

fn settings(server: &Dovecot, user: &str) -> ConnectSettings {
    ConnectSettings {
        host: "127.0.0.1".into(),
        port: server.port,
        security: Security::Plain,
        username: user.into(),
        ca_file: None,
        allow_plaintext: false,
    }
}

async fn login(
    server: &Dovecot,
    user: &str,
    token: &AccessToken,
    mechanism: BearerMechanism,
) -> Result<(), ErrorKind> {
    let secret = Secret::Bearer {
        token: token.clone(),
        mechanism: Some(mechanism),
    };
    match ImapConnection::connect_with(&settings(server, user), &secret, Timeouts::default()).await
    {
        Ok(connection) => {
            connection.logout().await;
            Ok(())
        }
        Err(error) => Err(error.kind),
    }
}

/// Refresh tokens kept in memory (the app keeps them in the OS keyring).
#[derive(Default)]
struct Memory(Mutex<Option<String>>);

impl RefreshTokenStore for Memory {
    fn load(&self) -> StoreFuture<'_, Option<String>> {
        let value = self.0.lock().unwrap().clone();
        Box::pin(async move { Ok(value) })
    }

    fn save(&self, token: String) -> StoreFuture<'_, ()> {
        *self.0.lock().unwrap() = Some(token);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_flow_signs_in_and_imap_takes_the_token_by_both_mechanisms() {
    let idp = MockIdp::start(CLIENT).await.unwrap();
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    let http = Http::new(tls()).unwrap();
    let issuer = issuer(&idp, &http).await;

    let browser = Arc::new(Mutex::new(None));
    let opened = browser.clone();
    let tokens = sign_in_in_browser(
        &issuer,
        &http,
        Some("alice@tern.test"),
        move |url| {
            assert!(url.contains("code_challenge_method=S256"), "{url}");
            assert!(
                url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
                "{url}"
            );
            let url = url.to_string();
            *opened.lock().unwrap() = Some(tokio::spawn(async move { play_browser(&url).await }));
        },
        Duration::from_secs(20),
    )
    .await
    .expect("signed in");
    let opened = browser.lock().unwrap().take().unwrap();
    let page = opened.await.unwrap().unwrap();
    assert!(
        page.contains("200"),
        "the browser was told it worked: {page}"
    );
    assert!(tokens.refresh.is_some(), "a refresh token came with it");

    for mechanism in [BearerMechanism::XOAuth2, BearerMechanism::OAuthBearer] {
        assert_eq!(
            login(&server, "alice", &tokens.access, mechanism).await,
            Ok(()),
            "{mechanism:?}"
        );
        assert_eq!(
            login(&server, "bob", &tokens.access, mechanism).await,
            Err(ErrorKind::Authentication),
            "alice's token is not bob's"
        );
        assert_eq!(
            login(&server, "alice", &AccessToken::new("garbage"), mechanism).await,
            Err(ErrorKind::Authentication)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_browser_sign_in_is_a_clear_error() {
    let idp = MockIdp::start(CLIENT).await.unwrap();
    idp.configure(|config| config.deny = true);
    let http = Http::new(tls()).unwrap();
    let issuer = issuer(&idp, &http).await;
    let error = sign_in_in_browser(
        &issuer,
        &http,
        None,
        |url| {
            let url = url.to_string();
            tokio::spawn(async move { play_browser(&url).await });
        },
        Duration::from_secs(20),
    )
    .await
    .expect_err("declined");
    assert!(error.to_string().contains("access_denied"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_flow_waits_for_approval_elsewhere() {
    let idp = Arc::new(MockIdp::start(CLIENT).await.unwrap());
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    let http = Http::new(tls()).unwrap();
    let issuer = issuer(&idp, &http).await;
    let approver = idp.clone();
    let tokens = device_flow(&issuer, &http, move |code| {
        assert!(code.verification_uri.starts_with("http://127.0.0.1:"));
        let user_code = code.user_code.clone();
        // The person approves on another device once Tern is already waiting (it has polled
        // the token endpoint while the request was pending).
        tokio::spawn(async move {
            tern_testkit::wait_until("a poll while pending", Duration::from_secs(20), || {
                let polled = approver.count("/token") >= 1;
                async move { polled }
            })
            .await
            .unwrap();
            assert!(approver.decide_device(&user_code, true));
        });
    })
    .await
    .expect("approved");
    assert!(idp.count("/token") >= 2, "polled while pending");
    assert_eq!(
        login(&server, "alice", &tokens.access, BearerMechanism::XOAuth2).await,
        Ok(())
    );

    // Denied elsewhere: a clear refusal.
    let denier = idp.clone();
    let error = device_flow(&issuer, &http, move |code| {
        assert!(denier.decide_device(&code.user_code, false));
    })
    .await
    .expect_err("denied");
    assert!(error.to_string().contains("access_denied"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_refreshes_tokens_and_a_revoked_grant_needs_a_new_sign_in() {
    let idp = MockIdp::start(CLIENT).await.unwrap();
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    server.seed("alice", "INBOX", 0, 5).unwrap();
    let http = Http::new(tls()).unwrap();
    let issuer = issuer(&idp, &http).await;
    // Tokens of two seconds: every login needs a fresh one.
    idp.configure(|config| config.expires_in = Duration::from_secs(2));
    let (_, refresh) = idp.issue("alice", Duration::from_secs(2));
    let store = Arc::new(Memory::default());
    store.save(refresh.clone()).await.unwrap();
    let provider = RefreshingTokens::new(issuer, http, store);

    let dir = tempfile::tempdir().unwrap();
    let (store, account) =
        tern_testkit::store_with_account(dir.path(), "alice", server.port).unwrap();
    let cache = store.clone();
    let engine = Engine::new(
        store,
        account,
        Credentials::OAuth2 {
            tokens: Arc::new(provider),
            mechanism: None,
        },
        EngineOptions::default(),
    );
    let report = engine
        .sync_folder("INBOX", None)
        .await
        .expect("synced with a token");
    assert_eq!(report.total, 5);
    let refreshed = idp.count("/token");
    assert!(refreshed >= 1);

    // The token expires; the next connection gets a fresh one by itself.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let connection = engine.open_connection().await.expect("a fresh token");
    connection.logout().await;
    assert!(idp.count("/token") > refreshed, "refreshed again");

    // The grant is revoked: no retry loop, a clear "sign in again".
    idp.revoke(&refresh);
    let Err(error) = engine.open_connection().await else {
        panic!("a revoked grant still connected");
    };
    assert_eq!(error.kind, ErrorKind::SignInNeeded, "{error}");
    let marked = cache
        .lock()
        .unwrap()
        .account_by_email("alice@tern.test")
        .unwrap()
        .unwrap();
    assert!(
        marked.sign_in_needed,
        "the cache says so (for `tern account list`, the app)"
    );
    for token in idp.tokens() {
        assert!(
            !error.to_string().contains(&token),
            "a token in the error text"
        );
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_takes_the_token_by_both_mechanisms_and_refuses_a_bad_one() {
    use mail_engine::{submit, Envelope, Submission, SubmitError};
    let idp = MockIdp::start(CLIENT).await.unwrap();
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    let postfix = tern_testkit::Postfix::start(&server).unwrap();
    let smtp = tern_testkit::loopback_smtp(postfix.port);
    let (access, _) = idp.issue("alice", Duration::from_secs(600));
    let recipients = vec!["bob@tern.test".to_string()];
    let send = |secret: Secret| {
        let smtp = smtp.clone();
        let recipients = recipients.clone();
        async move {
            let raw = b"From: alice@tern.test\r\nTo: bob@tern.test\r\nSubject: token\r\n\r\nhi\r\n";
            submit(
                &Submission {
                    server: &smtp,
                    username: "alice",
                    secret: &secret,
                    ca_file: None,
                    timeout: Duration::from_secs(20),
                },
                &Envelope {
                    from: "alice@tern.test",
                    recipients: &recipients,
                    raw,
                },
                || Ok(()),
            )
            .await
        }
    };
    for mechanism in [BearerMechanism::XOAuth2, BearerMechanism::OAuthBearer] {
        let sent = send(Secret::Bearer {
            token: AccessToken::new(access.clone()),
            mechanism: Some(mechanism),
        })
        .await;
        assert!(sent.is_ok(), "{mechanism:?}: {sent:?}");
    }
    let refused = send(Secret::Bearer {
        token: AccessToken::new("garbage"),
        mechanism: Some(BearerMechanism::XOAuth2),
    })
    .await;
    assert!(
        matches!(&refused, Err(SubmitError::SignInRefused(text)) if text.contains("access token")),
        "{refused:?}"
    );
}

/// Waits (by a deadline) for an event `matches` accepts.
async fn next_event(
    events: &mut tokio::sync::broadcast::Receiver<mail_engine::EngineEvent>,
    what: &str,
    matches: impl Fn(&mail_engine::EngineEvent) -> bool,
) -> mail_engine::EngineEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} in time"))
            .expect("event stream");
        if matches(&event) {
            return event;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_outlives_its_short_tokens_and_loses_no_mail() {
    use mail_engine::{ConnectivityState, EngineEvent};
    let idp = MockIdp::start(CLIENT).await.unwrap();
    let server = Dovecot::start_with_oauth2(&idp.introspection_url()).unwrap();
    server.seed("alice", "INBOX", 0, 2).unwrap();
    let proxy = tern_testkit::Proxy::start(server.port).await.unwrap();
    let http = Http::new(tls()).unwrap();
    let issuer = issuer(&idp, &http).await;
    // Access tokens of a second and a half.
    idp.configure(|config| config.expires_in = Duration::from_millis(1_500));
    let (_, refresh) = idp.issue("alice", Duration::from_millis(1_500));
    let keep = Arc::new(Memory::default());
    keep.save(refresh).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, account) =
        tern_testkit::store_with_account(dir.path(), "alice", proxy.port).unwrap();
    let engine = Arc::new(Engine::new(
        store,
        account,
        Credentials::OAuth2 {
            tokens: Arc::new(RefreshingTokens::new(issuer, http, keep)),
            mechanism: None,
        },
        EngineOptions {
            reconnect_initial: Duration::from_millis(100),
            ..EngineOptions::default()
        },
    ));
    let mut events = engine.subscribe();
    let _watch = engine.watch("INBOX");
    let live = |event: &EngineEvent| {
        matches!(
            event,
            EngineEvent::Connectivity {
                state: ConnectivityState::Live,
                ..
            }
        )
    };
    next_event(&mut events, "live", live).await;

    for round in 0..3u64 {
        // The token in use expires; the connection is cut; mail arrives meanwhile.
        tokio::time::sleep(Duration::from_millis(1_600)).await;
        let before = idp.count("/token");
        proxy.cut_all();
        server.seed("alice", "INBOX", 10 + round, 1).unwrap();
        next_event(
            &mut events,
            "the mail that came while cut off",
            |event| matches!(event, EngineEvent::FolderChanged { added, .. } if *added >= 1),
        )
        .await;
        assert!(
            idp.count("/token") > before,
            "round {round}: a fresh token was fetched"
        );
    }
    let cached = engine.message_page("INBOX", 0, 50).unwrap();
    assert_eq!(cached.total, 5, "every message is in the cache");
    engine.shutdown().await;
}
