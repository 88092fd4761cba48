import type { PageProps } from '../ui/page.js';

export function ClusterPage(_props: PageProps) {
  return <p>Not built yet.</p>;
}
