/** The logged-in console: the navigation, who is logged in, and the page the route names. */
import type { ComponentType } from 'preact';
import { endSession, type Session } from '../api/session.js';
import { BucketsPage } from '../browser/buckets.js';
import { ObjectsPage } from '../browser/objects.js';
import { ClusterPage } from '../cluster/cluster.js';
import { BucketSettingsPage } from '../admin/bucket-settings.js';
import { IdentityPage } from '../admin/identity.js';
import { Notices } from './notices.js';
import type { PageProps } from './page.js';
import { href, useRoute } from './route.js';

const PAGES: Record<string, ComponentType<PageProps>> = {
  buckets: BucketsPage,
  browse: ObjectsPage,
  cluster: ClusterPage,
  identity: IdentityPage,
  'bucket-settings': BucketSettingsPage,
};

const NAVIGATION: { page: string; label: string; also?: string[] }[] = [
  { page: 'buckets', label: 'Buckets', also: ['browse', 'bucket-settings'] },
  { page: 'identity', label: 'Identity' },
  { page: 'cluster', label: 'Cluster' },
];

export function Shell({ session }: { session: Session }) {
  const route = useRoute();
  const page = PAGES[route.page] ? route.page : 'buckets';
  const Page = PAGES[page];
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={href('buckets')}>
          <span class="logo" aria-hidden="true" /> Tessera
        </a>
        <nav aria-label="Main">
          {NAVIGATION.map((n) => (
            <a key={n.page} href={href(n.page)} aria-current={n.page === page || n.also?.includes(page) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <div class="who">
          <span title="Logged in as">{session.accessKey}</span>
          <button
            type="button"
            onClick={() => endSession('You have logged out.')}
          >
            Log out
          </button>
        </div>
      </header>
      <main class="page" id="main">
        <Page key={page} session={session} params={route.params} />
      </main>
      <Notices />
    </div>
  );
}
