/**
 * Service accounts of a user (`#/identity/service-accounts/<user>`; the logged-in user's own by
 * default): create one (name, description, expiry, its own policy), see its secret once, enable or
 * disable, delete.
 */
import { useState } from 'preact/hooks';
import { addServiceAccount, listServiceAccounts, listUsers, removeServiceAccount, setServiceAccountStatus, type NewServiceAccount, type ServiceAccount } from '../api/iam.js';
import type { Session } from '../api/session.js';
import { CopyButton } from '../ui/copy-button.js';
import { LoadError } from '../ui/errors.js';
import { ListTable } from '../ui/list-table.js';
import { useLoad } from '../ui/load.js';
import { Confirm, FormModal, Modal } from '../ui/modal.js';
import type { PageProps } from '../ui/page.js';
import { navigate } from '../ui/route.js';
import { PolicyEditor, policyIsValid, IDENTITY_POLICY_TEMPLATE } from './policy-editor.js';
import { act, ListSection, StatusBadge } from './widgets.js';

export function ServiceAccountsTab({ session, params }: PageProps) {
  // Whoever may list users picks among them; anyone else sees their own.
  const users = useLoad(() => listUsers(session).catch(() => []), [session]);
  const names = users.data?.map((u) => u.accessKey);
  // Unnamed: the logged-in user's own, or (for the root user, who is no user) the first user's.
  const user = params[1] || (names === undefined ? undefined : names.length > 0 && !names.includes(session.accessKey) ? names[0] : session.accessKey);
  const accounts = useLoad(async () => (user === undefined ? undefined : listServiceAccounts(session, user)), [session, user]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ accessKey: string; secretKey: string }>();
  const [deleting, setDeleting] = useState<string>();
  const choices = [...new Set([...(user === undefined ? [] : [user]), ...(names ?? [])])].sort();
  const toggle = (account: ServiceAccount): Promise<boolean> => {
    const next = account.status === 'enabled' ? 'disabled' : 'enabled';
    return act(`Changing service account ${account.accessKey}`, () => setServiceAccountStatus(session, account.accessKey, next), `Service account ${account.accessKey} ${next}.`, accounts.reload);
  };
  return (
    <ListSection
      id="accounts-title"
      title="Service accounts"
      tools={
        <>
          <label class="inline">
            of user
            <select name="parent" value={user} onChange={(e) => navigate('identity', 'service-accounts', e.currentTarget.value)}>
              {choices.map((u) => (
                <option key={u} value={u}>
                  {u}
                  {u === session.accessKey ? ' (you)' : ''}
                </option>
              ))}
            </select>
          </label>
          <button type="button" class="primary" disabled={user === undefined} onClick={() => setCreating(true)}>
            Create service account
          </button>
        </>
      }
    >
      <LoadError error={accounts.error} what={`The service accounts of ${user} cannot be listed`} />
      <ListTable
        columns={['Access key', 'Name', 'Status', 'Expires', 'Own policy']}
        items={accounts.data}
        busy={accounts.loading}
        empty={`${user} has no service accounts.`}
        row={(a) => (
          <tr key={a.accessKey} data-account={a.accessKey}>
            <td>
              <code>{a.accessKey}</code>
            </td>
            <td>
              {a.name ?? <span class="muted">—</span>}
              {a.description && <div class="hint">{a.description}</div>}
            </td>
            <td>
              <StatusBadge status={a.status} />
            </td>
            <td>{a.expiresAt ? new Date(a.expiresAt).toLocaleString() : <span class="muted">never</span>}</td>
            <td>{a.policy ? <span class="badge info">narrowed</span> : <span class="muted">the user's</span>}</td>
            <td class="row-actions">
              <button type="button" onClick={() => void toggle(a)}>
                {a.status === 'enabled' ? 'Disable' : 'Enable'}
              </button>
              <button type="button" class="danger" onClick={() => setDeleting(a.accessKey)}>
                Delete
              </button>
            </td>
          </tr>
        )}
      />
      {creating && user && <CreateServiceAccount session={session} user={user} onClose={() => setCreating(false)} onCreated={(keys) => (setCreated(keys), accounts.reload())} />}
      {created && (
        <Modal title="Service account created" onClose={() => setCreated(undefined)}>
          <p class="banner banner-warn">Copy the secret key now: it is not shown again.</p>
          <dl class="kv secret-keys">
            <dt>Access key</dt>
            <dd>
              <code data-field="accessKey">{created.accessKey}</code> <CopyButton text={created.accessKey} />
            </dd>
            <dt>Secret key</dt>
            <dd>
              <code data-field="secretKey">{created.secretKey}</code> <CopyButton text={created.secretKey} />
            </dd>
          </dl>
          <div class="actions">
            <button type="button" class="primary" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </div>
        </Modal>
      )}
      {deleting && (
        <Confirm
          title="Delete service account"
          message={
            <p>
              Delete the service account <code>{deleting}</code>? Whatever uses its keys stops working.
            </p>
          }
          onClose={() => setDeleting(undefined)}
          onConfirm={() => act(`Deleting service account ${deleting}`, () => removeServiceAccount(session, deleting), `Service account ${deleting} deleted.`, accounts.reload)}
        />
      )}
    </ListSection>
  );
}

function CreateServiceAccount({ session, user, onClose, onCreated }: { session: Session; user: string; onClose: () => void; onCreated: (keys: { accessKey: string; secretKey: string }) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [expiry, setExpiry] = useState('');
  const [narrow, setNarrow] = useState(false);
  const [policy, setPolicy] = useState(IDENTITY_POLICY_TEMPLATE);
  const submit = async (): Promise<boolean> => {
    const account: NewServiceAccount = {};
    if (name.trim()) account.name = name.trim();
    if (description.trim()) account.description = description.trim();
    if (expiry) account.expiresAt = new Date(expiry).toISOString();
    if (narrow) account.policy = policy;
    let keys: { accessKey: string; secretKey: string } | undefined;
    const done = await act(`Creating a service account for ${user}`, async () => (keys = await addServiceAccount(session, user, account)));
    if (keys) onCreated(keys);
    return done;
  };
  return (
    <FormModal title={`Create a service account for ${user}`} submitLabel="Create" wide={narrow} onClose={onClose} submit={submit} disabled={narrow && !policyIsValid(policy, 'identity')}>
      <div class="grid-2">
        <label>
          Name <span class="hint">(optional)</span>
          <input name="accountName" maxLength={256} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Expires <span class="hint">(optional)</span>
          <input name="expiry" type="datetime-local" value={expiry} onInput={(e) => setExpiry(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Description <span class="hint">(optional)</span>
        <input name="description" maxLength={256} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <label class="inline">
        <input type="checkbox" name="narrow" checked={narrow} onChange={(e) => setNarrow(e.currentTarget.checked)} />
        Narrow what it may do with a policy of its own (it can never do more than {user})
      </label>
      {narrow && <PolicyEditor id="account-policy" kind="identity" value={policy} onInput={setPolicy} />}
    </FormModal>
  );
}
