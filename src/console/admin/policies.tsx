/** Policies: the built-in and stored ones with where they are attached; create and edit in the JSON editor; delete. */
import { useState } from 'preact/hooks';
import { listPolicies, putPolicy, removePolicy, type PolicyInfo } from '../api/iam.js';
import { describeError, LoadError } from '../ui/errors.js';
import { ListTable } from '../ui/list-table.js';
import { useLoad } from '../ui/load.js';
import { Confirm, FormModal, Modal } from '../ui/modal.js';
import { notify } from '../ui/notices.js';
import type { PageProps } from '../ui/page.js';
import { IDENTITY_POLICY_TEMPLATE, PolicyEditor, policyIsValid } from './policy-editor.js';
import { act, ListSection, Names } from './widgets.js';

type Editing = { policy?: PolicyInfo };

export function PoliciesTab({ session }: PageProps) {
  const policies = useLoad(() => listPolicies(session), [session]);
  const [editing, setEditing] = useState<Editing>();
  const [deleting, setDeleting] = useState<string>();
  return (
    <ListSection
      id="policies-title"
      title="Policies"
      tools={
        <button type="button" class="primary" onClick={() => setEditing({})}>
          Create policy
        </button>
      }
    >
      <LoadError error={policies.error} what="The policies cannot be listed" />
      <ListTable
        columns={['Name', 'Users', 'Groups']}
        items={policies.data}
        busy={policies.loading}
        empty="No policies."
        row={(p) => (
          <tr key={p.name} data-policy={p.name}>
            <td>
              <code>{p.name}</code> {p.builtin && <span class="badge info">built-in</span>}
            </td>
            <td>
              <Names names={p.users} />
            </td>
            <td>
              <Names names={p.groups} />
            </td>
            <td class="row-actions">
              <button type="button" onClick={() => setEditing({ policy: p })}>
                {p.builtin ? 'View' : 'Edit'}
              </button>
              {!p.builtin && (
                <button type="button" class="danger" onClick={() => setDeleting(p.name)}>
                  Delete
                </button>
              )}
            </td>
          </tr>
        )}
      />
      {editing && <PolicyDialog session={session} policy={editing.policy} onClose={() => setEditing(undefined)} onSaved={policies.reload} />}
      {deleting && (
        <Confirm
          title="Delete policy"
          message={
            <p>
              Delete the policy <code>{deleting}</code>? It must be detached from every user and group first.
            </p>
          }
          onClose={() => setDeleting(undefined)}
          onConfirm={() => act(`Deleting policy ${deleting}`, () => removePolicy(session, deleting), `Policy ${deleting} deleted.`, policies.reload)}
        />
      )}
    </ListSection>
  );
}

function PolicyDialog({ session, policy, onClose, onSaved }: { session: PageProps['session']; policy?: PolicyInfo; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(policy?.name ?? '');
  const [text, setText] = useState(policy ? JSON.stringify(policy.policy, null, 2) : IDENTITY_POLICY_TEMPLATE);
  const readOnly = policy?.builtin === true;
  const save = async (): Promise<void> => {
    await putPolicy(session, name.trim(), text);
    notify.info(`Policy ${name.trim()} saved.`);
    onSaved();
  };
  // A refusal stays next to the editor, in the server's own words (it checks more than the page does).
  const refused = (err: unknown): string => `The server refused the policy: ${describeError(err)}`;
  if (readOnly) {
    return (
      <Modal title={`Policy ${policy.name} (built-in)`} wide onClose={onClose}>
        <pre class="policy-view">{text}</pre>
        <div class="actions">
          <button type="button" class="primary" onClick={onClose}>
            Close
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <FormModal title={policy ? `Edit policy ${policy.name}` : 'Create policy'} submitLabel="Save policy" wide onClose={onClose} submit={save} explain={refused} disabled={!name.trim() || !policyIsValid(text, 'identity')}>
      <label>
        Name
        <input name="policyName" required value={name} readOnly={policy !== undefined} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <PolicyEditor id="policy-text" kind="identity" value={text} onInput={setText} />
    </FormModal>
  );
}
