/**
 * A connection URL fit to print: its password replaced by `****` (`postgres://ann:****@db/x`).
 * Text that does not parse as a URL is masked whole, since it might still hold a secret.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '****';
  }
  if (url.password) url.password = '****';
  // Credentials can also ride in the query string (`?password=…`, `?sslpassword=…`).
  for (const name of [...url.searchParams.keys()]) {
    if (/pass|secret|key/i.test(name)) url.searchParams.set(name, '****');
  }
  return url.href;
}

/** A URL anywhere in a text: a scheme, `://`, then up to white space or a list's comma. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s,]+/gi;

/**
 * A setting's text fit to print: every URL in it (one, or a comma-separated list) with its
 * credentials masked: the password (`https://ann:****@host`), or a lone user name, which is then
 * usually a token (`https://****@host`), and secret-looking query parameters. Text with no
 * credentials is returned exactly as it was.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => {
    let url: URL;
    try {
      url = new URL(found);
    } catch {
      // Unparseable, but it may still carry `user:password@`: mask everything before the `@`.
      return found.replace(/^([^:]+:\/\/)[^/?#]*@/, '$1****@');
    }
    let changed = false;
    if (url.password) {
      url.password = '****';
      changed = true;
    } else if (url.username) {
      url.username = '****';
      changed = true;
    }
    for (const name of [...url.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(name)) {
        url.searchParams.set(name, '****');
        changed = true;
      }
    }
    return changed ? url.href : found;
  });
}
