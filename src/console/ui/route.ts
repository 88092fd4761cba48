/**
 * Where the console is, kept in the URL's hash (so reloads and the back button work, and the server
 * serves one page): `#/<page>/<segment>/...`, each segment URI-encoded.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: string;
  /** The decoded segments after the page's name. */
  params: string[];
}

export function parseRoute(hash: string): Route {
  const [page = '', ...params] = hash.replace(/^#\/?/, '').split('/');
  try {
    return { page: decodeURIComponent(page), params: params.map(decodeURIComponent) };
  } catch {
    return { page: '', params: [] };
  }
}

export function href(page: string, ...params: string[]): string {
  return `#/${[page, ...params].map(encodeURIComponent).join('/')}`;
}

export function navigate(page: string, ...params: string[]): void {
  location.hash = href(page, ...params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
