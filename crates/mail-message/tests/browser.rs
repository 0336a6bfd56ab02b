//! Sanitized HTML rendered by a real browser (headless Chromium): no script runs and no
//! network request is made. Hostile payloads try to set `document.title` to PWNED and to
//! load from the test's own HTTP server; the server records every request. A control page
//! with the same payloads unsanitized proves the harness sees both when they happen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_message::sanitize_html;

/// Payloads that would set the title to PWNED or fetch `BEACON` if anything of them ran.
const PAYLOADS: &[&str] = &[
    "<script>document.title='PWNED'</script>",
    "<script src=\"BEACON/script.js\"></script>",
    "<img src=x onerror=\"document.title='PWNED'\">",
    "<img src=\"BEACON/pixel.gif\">",
    "<img srcset=\"BEACON/srcset.gif 1x\">",
    "<svg onload=\"document.title='PWNED'\"></svg>",
    "<svg><image href=\"BEACON/svg.png\"/></svg>",
    "<body onload=\"document.title='PWNED'\">",
    "<a href=\"javascript:document.title='PWNED'\" id=link>x</a>",
    "<iframe src=\"BEACON/frame\"></iframe>",
    "<iframe srcdoc=\"<script>parent.document.title='PWNED'</script>\"></iframe>",
    "<object data=\"BEACON/object\"></object>",
    "<embed src=\"BEACON/embed\">",
    "<link rel=stylesheet href=\"BEACON/style.css\">",
    "<style>@import 'BEACON/import.css'; body { background: url(BEACON/bg.png) }</style>",
    "<p style=\"background-image: url(BEACON/inline-bg.png)\">styled</p>",
    "<p style=\"background:u\\rl(BEACON/escaped.png)\">escaped</p>",
    "<meta http-equiv=\"refresh\" content=\"0;url=BEACON/refresh\">",
    "<base href=\"BEACON/\"><img src=\"relative.png\">",
    "<video src=\"BEACON/video.mp4\" autoplay></video>",
    "<audio src=\"BEACON/audio.mp3\" autoplay></audio>",
    "<table background=\"BEACON/table.gif\"><tr><td>t</td></tr></table>",
    "<input type=image src=\"BEACON/input.gif\">",
    "<form action=\"BEACON/form\"><input name=q value=x></form><script>document.forms[0].submit()</script>",
    "<details open ontoggle=\"document.title='PWNED'\">d</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"document.title='PWNED'\">",
    "<noscript><p title=\"</noscript><img src=x onerror=document.title='PWNED'>\">",
    "<<img src=x onerror=\"document.title='PWNED'\"//<",
    // Every way CSS has to spell a URL or load something.
    "<p style=\"background: u\\72 l(BEACON/hex.gif)\">hex</p>",
    "<p style=\"background: u\\000072l(BEACON/hex6.gif)\">hex6</p>",
    "<p style=\"background: \\75\\72\\6c(BEACON/allhex.gif)\">allhex</p>",
    "<p style=\"background: \\55 RL(BEACON/upper.gif)\">upper</p>",
    "<p style=\"background: url( 'BEACON/quoted.gif' )\">quoted</p>",
    "<p style=\"back/**/ground: url(BEACON/comment-name.gif)\">comment</p>",
    "<p style=\"background-image: image-set('BEACON/set.gif' 1x)\">set</p>",
    "<p style=\"background-image: -webkit-image-set(url(BEACON/wset.gif) 1x)\">wset</p>",
    "<p style=\"background-image: cross-fade(url(BEACON/cf.gif), red 50%)\">cf</p>",
    "<ul style=\"list-style: url(BEACON/list.gif)\"><li>list</li></ul>",
    "<p style=\"border: 10px solid; border-image: url(BEACON/border.gif) 30\">border</p>",
    "<p style=\"cursor: url(BEACON/cursor.cur), auto\">cursor</p>",
    "<p style=\"mask-image: url(BEACON/mask.svg)\">mask</p>",
    "<p style=\"content: url(BEACON/content.gif)\">content</p>",
    "<p style=\"@import url(BEACON/import.css); color: red\">import</p>",
    "<style>@font-face { font-family: t; src: url(BEACON/font.woff) } p { font-family: t }</style><p>font</p>",
    "<p style=\"background: url(&quot;BEACON/entity.gif&quot;)\">entity</p>",
];

struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
    pages: Arc<Mutex<HashMap<String, String>>>,
}

fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let pages: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let (seen, served) = (requests.clone(), pages.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Chromium may open a speculative connection and send nothing: not a request.
            let Some(path) = line.split_whitespace().nth(1).map(str::to_string) else {
                continue;
            };
            seen.lock().unwrap().push(path.clone());
            let body = served.lock().unwrap().get(&path).cloned();
            let response = match body {
                Some(body) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Server {
        base,
        requests,
        pages,
    }
}

/// Loads `url` in headless Chromium, lets it run for a few (virtual) seconds, returns the DOM.
fn render(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("chromium runs (scripts/setup.sh installs it)");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn page(server: &Server, name: &str, body: &str) -> String {
    let html =
        format!("<!doctype html><html><head><title>clean</title></head><body>{body}</body></html>");
    let path = format!("/{name}");
    server.pages.lock().unwrap().insert(path.clone(), html);
    format!("{}{path}", server.base)
}

fn beacons(server: &Server) -> Vec<String> {
    server
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|path| path.starts_with("/beacon"))
        .cloned()
        .collect()
}

#[test]
fn sanitized_mail_runs_nothing_and_loads_nothing_in_a_real_browser() {
    let server = serve();
    let beacon = format!("{}/beacon", server.base);
    let payloads: Vec<String> = PAYLOADS
        .iter()
        .map(|payload| payload.replace("BEACON", &beacon))
        .collect();

    // Control: unsanitized, a script runs and an image loads (the harness sees both).
    let control =
        format!("<img src=x onerror=\"document.title='PWNED'\"><img src=\"{beacon}/control.gif\">");
    let raw = render(&page(&server, "raw", &control));
    assert!(
        raw.contains("<title>PWNED</title>"),
        "control page did not run: {raw}"
    );
    assert!(!beacons(&server).is_empty(), "control page made no request");
    // Control: an escaped CSS url() loads in a browser (what the sanitizer must catch).
    server.requests.lock().unwrap().clear();
    render(&page(
        &server,
        "raw-css",
        &format!("<p style=\"background: u\\72 l({beacon}/control-css.png)\">css</p>"),
    ));
    assert!(
        beacons(&server)
            .iter()
            .any(|path| path.ends_with("control-css.png")),
        "the escaped CSS control made no request: {:?}",
        server.requests.lock().unwrap()
    );
    server.requests.lock().unwrap().clear();

    let clean: Vec<String> = payloads
        .iter()
        .map(|payload| sanitize_html(payload, &HashMap::new(), false).html)
        .collect();
    let dom = render(&page(&server, "clean", &clean.join("\n")));
    assert!(dom.contains("<title>clean</title>"), "a script ran: {dom}");
    assert!(!dom.contains("PWNED"), "{dom}");
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .all(|path| path == "/clean" || path == "/favicon.ico"),
        "the sanitized page made requests: {requests:?}"
    );
}
