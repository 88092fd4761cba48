import type { PageProps } from '../ui/page.js';

export function IdentityPage(_props: PageProps) {
  return <p>Not built yet.</p>;
}
