/** Users: status, policies and groups; create (with a generated secret if wanted), enable or disable, attach policies, delete. */
import { useState } from 'preact/hooks';
import { addUser, listUsers, removeUser, setUserStatus, type User } from '../api/iam.js';
import { CopyButton } from '../ui/copy-button.js';
import { LoadError } from '../ui/errors.js';
import { ListTable } from '../ui/list-table.js';
import { useLoad } from '../ui/load.js';
import { Confirm, FormModal } from '../ui/modal.js';
import type { PageProps } from '../ui/page.js';
import { href } from '../ui/route.js';
import { AssignPolicies } from './assign-policies.js';
import { act, ListSection, Names, StatusBadge } from './widgets.js';

/** A random secret: 40 characters of the URL-safe base64 alphabet (240 bits). */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(30));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

export function UsersTab({ session }: PageProps) {
  const users = useLoad(() => listUsers(session), [session]);
  const [creating, setCreating] = useState(false);
  const [assigning, setAssigning] = useState<User>();
  const [deleting, setDeleting] = useState<string>();
  const toggle = (user: User): Promise<boolean> => {
    const next = user.status === 'enabled' ? 'disabled' : 'enabled';
    return act(`Changing user ${user.accessKey}`, () => setUserStatus(session, user.accessKey, next), `User ${user.accessKey} ${next}.`, users.reload);
  };
  return (
    <ListSection
      id="users-title"
      title="Users"
      tools={
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          Create user
        </button>
      }
    >
      <LoadError error={users.error} what="The users cannot be listed" />
      <ListTable
        columns={['Access key', 'Status', 'Policies', 'Groups']}
        items={users.data}
        busy={users.loading}
        empty="No users yet."
        row={(u) => (
          <tr key={u.accessKey} data-user={u.accessKey}>
            <td>
              <code>{u.accessKey}</code>
            </td>
            <td>
              <StatusBadge status={u.status} />
            </td>
            <td>
              <Names names={u.policies} empty="none" />
            </td>
            <td>
              <Names names={u.groups} />
            </td>
            <td class="row-actions">
              <button type="button" onClick={() => void toggle(u)}>
                {u.status === 'enabled' ? 'Disable' : 'Enable'}
              </button>
              <button type="button" onClick={() => setAssigning(u)}>
                Policies
              </button>
              <a class="button" href={href('identity', 'service-accounts', u.accessKey)}>
                Service accounts
              </a>
              <button type="button" class="danger" onClick={() => setDeleting(u.accessKey)}>
                Delete
              </button>
            </td>
          </tr>
        )}
      />
      {creating && <CreateUser session={session} onClose={() => setCreating(false)} onCreated={users.reload} />}
      {assigning && <AssignPolicies session={session} target={{ user: assigning.accessKey }} attached={assigning.policies} onClose={() => setAssigning(undefined)} onSaved={users.reload} />}
      {deleting && (
        <Confirm
          title="Delete user"
          message={
            <p>
              Delete the user <code>{deleting}</code>? Its service accounts and group memberships go with it.
            </p>
          }
          onClose={() => setDeleting(undefined)}
          onConfirm={() => act(`Deleting user ${deleting}`, () => removeUser(session, deleting), `User ${deleting} deleted.`, users.reload)}
        />
      )}
    </ListSection>
  );
}

function CreateUser({ session, onClose, onCreated }: { session: PageProps['session']; onClose: () => void; onCreated: () => void }) {
  const [accessKey, setAccessKey] = useState('');
  const [secretKey, setSecretKey] = useState('');
  return (
    <FormModal
      title="Create user"
      submitLabel="Create user"
      onClose={onClose}
      disabled={accessKey.trim().length < 3 || secretKey.length < 8}
      submit={() => act(`Creating user ${accessKey.trim()}`, () => addUser(session, accessKey.trim(), secretKey), `User ${accessKey.trim()} created.`, onCreated)}
    >
      <label>
        Access key
        <input name="newAccessKey" required minLength={3} autocomplete="off" value={accessKey} onInput={(e) => setAccessKey(e.currentTarget.value)} />
      </label>
      <label>
        Secret key <span class="hint">(8 to 128 characters; keep a copy: it is not shown again)</span>
        <input name="newSecretKey" required minLength={8} maxLength={128} autocomplete="off" class="code" value={secretKey} onInput={(e) => setSecretKey(e.currentTarget.value)} />
      </label>
      <div class="toolbar">
        <button type="button" onClick={() => setSecretKey(generateSecret())}>
          Generate a secret
        </button>
        {secretKey && <CopyButton text={secretKey} label="Copy secret" />}
      </div>
    </FormModal>
  );
}
