//! Hostile HTML: nothing that can run code, navigate, submit, or load remote content
//! survives `sanitize_html`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use mail_message::sanitize_html;

const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<img src=\"jav&#x09;ascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<svg><animate attributeName=href values=javascript:alert(1) /><a><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<p style=\"width: expression(alert(1))\">x</p>",
    "<p style=\"behavior: url(x.htc)\">x</p>",
    "<p style=\"background-image: url(https://tracker.example/p.gif)\">x</p>",
    "<p style=\"background:u\\rl(https://tracker.example/p.gif)\">x</p>",
    "<p style=\"background:url/**/(https://tracker.example/p.gif)\">x</p>",
    "<style>@import 'https://evil.example/x.css'; body{background:url(https://t.example/a)}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"https://evil.example/x.swf\"></object>",
    "<embed src=\"https://evil.example/x.swf\">",
    "<form action=\"https://evil.example\"><input name=p type=password><button>Go</button></form>",
    "<video src=https://evil.example/v.mp4 autoplay></video>",
    "<audio src=https://evil.example/a.mp3 autoplay></audio>",
    "<img srcset=\"https://tracker.example/1x.gif 1x\">",
    "<table background=\"https://tracker.example/bg.gif\"><tr><td>x</td></tr></table>",
    "<input type=image src=https://tracker.example/i.gif>",
    "<a href=\"https://example.org\" target=_top ping=https://tracker.example/ping>x</a>",
    "<div><a href=\"https://ok.example\">ok</a><!-- <script>alert(1)</script> --></div>",
    "<<img src=x onerror=alert(1)//<",
    "<img src=x onerror=alert(1)",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<template><script>alert(1)</script></template>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    // Every way CSS has to spell a URL or load something (the security review's finds).
    "<p style=\"background: u\\72 l(https://tracker.example/hex.gif)\">x</p>",
    "<p style=\"background: u\\000072l(https://tracker.example/hex6.gif)\">x</p>",
    "<p style=\"background: \\75\\72\\6c(https://tracker.example/allhex.gif)\">x</p>",
    "<p style=\"background: \\55 RL(https://tracker.example/upper.gif)\">x</p>",
    "<p style=\"background: url(\\68ttps://tracker.example/escaped-scheme.gif)\">x</p>",
    "<p style=\"background: url( 'https://tracker.example/quoted.gif' )\">x</p>",
    "<p style=\"background:url(//tracker.example/scheme-relative.gif)\">x</p>",
    "<p style=\"back/**/ground: url(https://tracker.example/comment-name.gif)\">x</p>",
    "<p style=\"background-image: image-set('https://tracker.example/set.gif' 1x)\">x</p>",
    "<p style=\"background-image: -webkit-image-set(url(https://tracker.example/wset.gif) 1x)\">x</p>",
    "<p style=\"background-image: cross-fade(url(https://tracker.example/cf.gif), red 50%)\">x</p>",
    "<p style=\"list-style: url(https://tracker.example/list.gif)\">x</p>",
    "<p style=\"border-image: url(https://tracker.example/border.gif) 30\">x</p>",
    "<p style=\"cursor: url(https://tracker.example/cursor.cur), auto\">x</p>",
    "<p style=\"mask-image: url(https://tracker.example/mask.svg)\">x</p>",
    "<p style=\"content: url(https://tracker.example/content.gif)\">x</p>",
    "<p style=\"@import url(https://tracker.example/import.css); color: red\">x</p>",
    "<p style=\"src: url(https://tracker.example/font.woff)\">x</p>",
    "<style>@font-face { font-family: t; src: url(https://tracker.example/font.woff) }</style>",
    "<p style=\"background: url(&quot;https://tracker.example/entity.gif&quot;)\">x</p>",
    "<p style=\"background: url&#40;https://tracker.example/entity-paren.gif)\">x</p>",
    "<p style=\"background:\\\nurl(https://tracker.example/newline-escape.gif)\">x</p>",
];

fn executable(html: &str) -> Option<&'static str> {
    let lower = html.to_ascii_lowercase();
    let forbidden = [
        "<script",
        "javascript:",
        "vbscript:",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<button",
        "<meta",
        "<base",
        "<link",
        "<style",
        "<svg",
        "<math",
        "srcdoc",
        "expression(",
        "@import",
        "behavior",
        "<video",
        "<audio",
        "srcset",
        "ping=",
        "data:text",
        "tracker.example",
        "evil.example",
    ];
    if let Some(found) = forbidden.iter().find(|word| lower.contains(**word)) {
        return Some(found);
    }
    // Event handlers: an attribute named on... inside a tag.
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let tag_end = rest[start..]
            .find('>')
            .map_or(rest.len(), |end| start + end);
        let tag = &rest[start..tag_end];
        if tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .skip(1)
            .any(|attribute| attribute.starts_with("on") && attribute.contains('='))
        {
            return Some("an event handler");
        }
        rest = &rest[tag_end.min(rest.len())..];
        if rest.is_empty() {
            break;
        }
        rest = &rest[1.min(rest.len())..];
    }
    None
}

#[test]
fn nothing_executable_or_remote_survives() {
    for payload in PAYLOADS {
        let safe = sanitize_html(payload, &HashMap::new(), false);
        if let Some(found) = executable(&safe.html) {
            panic!("{found} survived in {payload:?}: {:?}", safe.html);
        }
    }
}

#[test]
fn allowing_remote_content_allows_images_only() {
    for payload in PAYLOADS {
        let safe = sanitize_html(payload, &HashMap::new(), true);
        let lower = safe.html.to_ascii_lowercase();
        for word in [
            "<script",
            "javascript:",
            "<iframe",
            "<form",
            "<meta",
            "<base",
            "<link",
            "evil.example",
        ] {
            assert!(
                !lower.contains(word),
                "{word} survived in {payload:?}: {:?}",
                safe.html
            );
        }
    }
}

#[test]
fn harmless_markup_is_kept() {
    let safe = sanitize_html(
        "<table><tr><td style=\"color: #333; padding: 4px\"><b>Hello</b> <a href=\"https://example.org/x\">link</a></td></tr></table>",
        &HashMap::new(),
        false,
    );
    assert!(safe.html.contains("<b>Hello</b>"));
    assert!(safe.html.contains("color: #333"));
    assert!(safe.html.contains("href=\"https://example.org/x\""));
    assert!(safe.html.contains("rel=\"noopener noreferrer nofollow\""));
    assert_eq!(safe.remote_blocked, 0);
}
