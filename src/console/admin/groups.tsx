/**
 * Groups: status, members and policies; create (a group comes to be with its first members), change
 * members, enable or disable, attach policies, delete (once it has no members).
 */
import { useState } from 'preact/hooks';
import { addGroupMembers, listGroups, listUsers, removeGroup, removeGroupMembers, setGroupStatus, type Group } from '../api/iam.js';
import type { Session } from '../api/session.js';
import { LoadError } from '../ui/errors.js';
import { ListTable } from '../ui/list-table.js';
import { useLoad } from '../ui/load.js';
import { Confirm, FormModal } from '../ui/modal.js';
import type { PageProps } from '../ui/page.js';
import { AssignPolicies } from './assign-policies.js';
import { act, ListSection, Names, StatusBadge } from './widgets.js';

export function GroupsTab({ session }: PageProps) {
  const groups = useLoad(() => listGroups(session), [session]);
  const [membersOf, setMembersOf] = useState<Group | 'new'>();
  const [assigning, setAssigning] = useState<Group>();
  const [deleting, setDeleting] = useState<string>();
  const toggle = (group: Group): Promise<boolean> => {
    const next = group.status === 'enabled' ? 'disabled' : 'enabled';
    return act(`Changing group ${group.name}`, () => setGroupStatus(session, group.name, next), `Group ${group.name} ${next}.`, groups.reload);
  };
  return (
    <ListSection
      id="groups-title"
      title="Groups"
      tools={
        <button type="button" class="primary" onClick={() => setMembersOf('new')}>
          Create group
        </button>
      }
    >
      <LoadError error={groups.error} what="The groups cannot be listed" />
      <ListTable
        columns={['Name', 'Status', 'Members', 'Policies']}
        items={groups.data}
        busy={groups.loading}
        empty="No groups yet."
        row={(g) => (
          <tr key={g.name} data-group={g.name}>
            <td>
              <code>{g.name}</code>
            </td>
            <td>
              <StatusBadge status={g.status} />
            </td>
            <td>
              <Names names={g.members} empty="no members" />
            </td>
            <td>
              <Names names={g.policies} empty="none" />
            </td>
            <td class="row-actions">
              <button type="button" onClick={() => setMembersOf(g)}>
                Members
              </button>
              <button type="button" onClick={() => void toggle(g)}>
                {g.status === 'enabled' ? 'Disable' : 'Enable'}
              </button>
              <button type="button" onClick={() => setAssigning(g)}>
                Policies
              </button>
              <button type="button" class="danger" disabled={g.members.length > 0} title={g.members.length > 0 ? 'Remove its members first' : undefined} onClick={() => setDeleting(g.name)}>
                Delete
              </button>
            </td>
          </tr>
        )}
      />
      {membersOf && <Members session={session} group={membersOf === 'new' ? undefined : membersOf} onClose={() => setMembersOf(undefined)} onSaved={groups.reload} />}
      {assigning && <AssignPolicies session={session} target={{ group: assigning.name }} attached={assigning.policies} onClose={() => setAssigning(undefined)} onSaved={groups.reload} />}
      {deleting && (
        <Confirm
          title="Delete group"
          message={
            <p>
              Delete the group <code>{deleting}</code>?
            </p>
          }
          onClose={() => setDeleting(undefined)}
          onConfirm={() => act(`Deleting group ${deleting}`, () => removeGroup(session, deleting), `Group ${deleting} deleted.`, groups.reload)}
        />
      )}
    </ListSection>
  );
}

/** A group's members as checkboxes of every user; for a new group, its name too. */
function Members({ session, group, onClose, onSaved }: { session: Session; group?: Group; onClose: () => void; onSaved: () => void }) {
  const users = useLoad(() => listUsers(session), [session]);
  const [name, setName] = useState(group?.name ?? '');
  const [chosen, setChosen] = useState(() => new Set(group?.members ?? []));
  const before = group?.members ?? [];
  const toggle = (user: string, on: boolean): void => {
    const next = new Set(chosen);
    if (on) next.add(user);
    else next.delete(user);
    setChosen(next);
  };
  const save = (): Promise<boolean> => {
    const target = name.trim();
    const add = [...chosen].filter((u) => !before.includes(u));
    const remove = before.filter((u) => !chosen.has(u));
    return act(
      group ? `Changing the members of ${target}` : `Creating group ${target}`,
      async () => {
        if (add.length > 0) await addGroupMembers(session, target, add);
        if (remove.length > 0) await removeGroupMembers(session, target, remove);
      },
      group ? `Members of ${target} saved.` : `Group ${target} created.`,
      onSaved,
    );
  };
  return (
    <FormModal title={group ? `Members of ${group.name}` : 'Create group'} submitLabel={group ? 'Save' : 'Create group'} onClose={onClose} submit={save} disabled={!name.trim() || (!group && chosen.size === 0)}>
      {!group && (
        <label>
          Name
          <input name="groupName" required autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
      )}
      {!group && <p class="hint">A group comes to be with its first members: choose at least one.</p>}
      <LoadError error={users.error} what="The users cannot be listed" />
      <fieldset class="choices">
        <legend>Members</legend>
        {(users.data?.map((u) => u.accessKey) ?? before).map((user) => (
          <label key={user} class="inline">
            <input type="checkbox" name="member" value={user} checked={chosen.has(user)} onChange={(e) => toggle(user, e.currentTarget.checked)} />
            <code>{user}</code>
          </label>
        ))}
        {users.data?.length === 0 && <p class="muted">No users yet.</p>}
      </fieldset>
    </FormModal>
  );
}
