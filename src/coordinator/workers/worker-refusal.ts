/** A short reason from a refusal body, which is `{error: {code, message}}` from a Capstan worker. */
export function refusalOf(status: number, body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.message === 'string')
      return `${status} ${String(error.code)}: ${error.message}`;
  } catch {
    // Not JSON: the status says enough (the body may be a proxy's page).
  }
  return `${status}`;
}
