/** The policies attached to a user or a group, as checkboxes: saving attaches the new ones and detaches the dropped ones. */
import { useState } from 'preact/hooks';
import { attachPolicies, detachPolicies, listPolicies, type PolicyTarget } from '../api/iam.js';
import type { Session } from '../api/session.js';
import { LoadError } from '../ui/errors.js';
import { useLoad } from '../ui/load.js';
import { FormModal } from '../ui/modal.js';
import { act } from './widgets.js';

export function AssignPolicies({ session, target, attached, onClose, onSaved }: { session: Session; target: PolicyTarget; attached: string[]; onClose: () => void; onSaved: () => void }) {
  const policies = useLoad(() => listPolicies(session), [session]);
  const [chosen, setChosen] = useState(() => new Set(attached));
  const who = 'user' in target ? `user ${target.user}` : `group ${target.group}`;
  const toggle = (name: string, on: boolean): void => {
    const next = new Set(chosen);
    if (on) next.add(name);
    else next.delete(name);
    setChosen(next);
  };
  const save = async (): Promise<boolean> => {
    const attach = [...chosen].filter((p) => !attached.includes(p));
    const detach = attached.filter((p) => !chosen.has(p));
    return act(
      `Changing the policies of ${who}`,
      async () => {
        if (attach.length > 0) await attachPolicies(session, attach, target);
        if (detach.length > 0) await detachPolicies(session, detach, target);
      },
      `Policies of ${who} saved.`,
      onSaved,
    );
  };
  return (
    <FormModal title={`Policies of ${who}`} submitLabel="Save" onClose={onClose} submit={save}>
      <LoadError error={policies.error} what="The policies cannot be listed" />
      <fieldset class="choices">
        <legend class="visually-hidden">Attached policies</legend>
        {(policies.data ?? attached.map((name) => ({ name }))).map((p) => (
          <label key={p.name} class="inline">
            <input type="checkbox" name="policy" value={p.name} checked={chosen.has(p.name)} onChange={(e) => toggle(p.name, e.currentTarget.checked)} />
            <code>{p.name}</code>
          </label>
        ))}
      </fieldset>
    </FormModal>
  );
}
