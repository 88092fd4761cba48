/** Identity administration (`#/identity/<tab>`): users, groups, policies and service accounts, one tab each. */
import type { ComponentType } from 'preact';
import type { PageProps } from '../ui/page.js';
import { href } from '../ui/route.js';
import './admin.css';
import { GroupsTab } from './groups.js';
import { PoliciesTab } from './policies.js';
import { ServiceAccountsTab } from './service-accounts.js';
import { UsersTab } from './users.js';

const TABS: { id: string; label: string; Tab: ComponentType<PageProps> }[] = [
  { id: 'users', label: 'Users', Tab: UsersTab },
  { id: 'groups', label: 'Groups', Tab: GroupsTab },
  { id: 'policies', label: 'Policies', Tab: PoliciesTab },
  { id: 'service-accounts', label: 'Service accounts', Tab: ServiceAccountsTab },
];

export function IdentityPage(props: PageProps) {
  const current = TABS.find((t) => t.id === props.params[0]) ?? TABS[0];
  return (
    <>
      <nav class="tabs" aria-label="Identity">
        {TABS.map((t) => (
          <a key={t.id} href={href('identity', t.id)} aria-current={t === current ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      <current.Tab key={current.id} {...props} />
    </>
  );
}
