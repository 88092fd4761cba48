import type { PageProps } from '../ui/page.js';

export function BucketsPage(_props: PageProps) {
  return <p>Not built yet.</p>;
}
