import type { TokenRole } from './errors.ts';
import type { Answer, RequestOptions } from './transport.ts';

/** One API call with the token of `role`: what the client's parts share. */
export type Requester = <T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  role: TokenRole,
  options: RequestOptions,
) => Promise<Answer<T>>;

export const enc = encodeURIComponent;
