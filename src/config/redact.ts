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
