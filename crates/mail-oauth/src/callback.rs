//! The browser's return to Tern's loopback listener, pure: what its request says (a code, an
//! error, or something else such as a favicon), checked against the state Tern sent, and
//! the page the browser is shown.

/// What a request to the loopback listener carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The authorization code, its state matching.
    Code(String),
    /// The provider said no (the person declined, or the request was refused).
    Denied { error: String, description: String },
    /// A request without the expected state: ignored (it is not the provider's redirect).
    Stray,
}

/// Reads the request line `GET /path?query HTTP/1.1`, expecting `state`.
pub fn parse(request_line: &str, state: &str) -> Callback {
    let Some(target) = request_line
        .strip_prefix("GET ")
        .and_then(|rest| rest.split_whitespace().next())
    else {
        return Callback::Stray;
    };
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let mut code = None;
    let mut error = None;
    let mut description = String::new();
    let mut got_state = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = value.into_owned(),
            "state" => got_state = Some(value.into_owned()),
            _ => {}
        }
    }
    if got_state.as_deref() != Some(state) {
        return Callback::Stray;
    }
    match (code, error) {
        (_, Some(error)) => Callback::Denied { error, description },
        (Some(code), None) if !code.is_empty() => Callback::Code(code),
        _ => Callback::Stray,
    }
}

/// The page the browser shows after the redirect.
pub fn page(callback: &Callback) -> String {
    let (title, text) = match callback {
        Callback::Code(_) => (
            "Signed in",
            "Tern is signed in. You can close this window and go back to Tern.",
        ),
        Callback::Denied { .. } => (
            "Not signed in",
            "The sign-in was declined. Go back to Tern to try again.",
        ),
        Callback::Stray => ("Tern", "Waiting for the sign-in to finish."),
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1><p>{text}</p>"
    );
    let status = match callback {
        Callback::Stray => "404 Not Found",
        _ => "200 OK",
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_is_read_only_with_the_state_sent() {
        let cases = [
            (
                "GET /?code=abc%2F1&state=s1 HTTP/1.1",
                Callback::Code("abc/1".into()),
            ),
            (
                "GET /callback?state=s1&code=xyz HTTP/1.1",
                Callback::Code("xyz".into()),
            ),
            (
                "GET /?error=access_denied&error_description=The+user+said+no&state=s1 HTTP/1.1",
                Callback::Denied {
                    error: "access_denied".into(),
                    description: "The user said no".into(),
                },
            ),
            ("GET /?code=abc&state=other HTTP/1.1", Callback::Stray),
            ("GET /?code=abc HTTP/1.1", Callback::Stray),
            ("GET /favicon.ico HTTP/1.1", Callback::Stray),
            ("POST /?code=abc&state=s1 HTTP/1.1", Callback::Stray),
            ("GET /?code=&state=s1 HTTP/1.1", Callback::Stray),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line, "s1"), expected, "{line}");
        }
    }

    #[test]
    fn the_page_says_what_happened() {
        assert!(page(&Callback::Code("c".into())).contains("200 OK"));
        assert!(page(&Callback::Code("c".into())).contains("close this window"));
        assert!(page(&Callback::Stray).starts_with("HTTP/1.1 404"));
    }
}
