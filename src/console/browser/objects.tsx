import type { PageProps } from '../ui/page.js';

export function ObjectsPage(_props: PageProps) {
  return <p>Not built yet.</p>;
}
