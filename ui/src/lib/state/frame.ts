// The document the sandboxed message frame shows: the sanitized body with a CSP of its own
// (no scripts at all, images only inline or when the person asked for remote ones) and a
// readable default style.

const STYLE =
  'body{font:14px/1.5 system-ui,sans-serif;color:#1d1d1f;background:#fff;margin:16px;word-wrap:break-word}' +
  'img{max-width:100%;height:auto}pre{white-space:pre-wrap}blockquote{border-left:3px solid #ccc;margin:0;padding-left:12px;color:#555}';

// Remote images load only when the person allowed them for this message or its sender
// (the engine then left them in the HTML); otherwise the frame's own policy refuses any
// that slipped through, whatever the HTML says.
export function frameCsp(remoteAllowed: boolean): string {
  const images = remoteAllowed ? 'data: https: http:' : 'data:';
  return `default-src 'none'; img-src ${images}; style-src 'unsafe-inline'; font-src data:; media-src 'none'; script-src 'none'; form-action 'none'`;
}

export function frameDocument(safeHtml: string, remoteAllowed = false): string {
  const csp = frameCsp(remoteAllowed);
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><base target="_top"><style>${STYLE}</style></head><body>${safeHtml}</body></html>`;
}
