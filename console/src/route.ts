import { useEffect, useState } from 'preact/hooks';

/** The console routes in the URL's hash (`#/executions/…`), so any path under /console loads it. */
export interface Route {
  readonly page: string;
  readonly id: string | undefined;
}

function parse(): Route {
  const [page = 'executions', id] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page: page || 'executions', id };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const onChange = () => setRoute(parse());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const href = (page: string, id?: string): string =>
  `#/${page}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
