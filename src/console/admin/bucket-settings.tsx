/**
 * A bucket's settings (`#/bucket-settings/<bucket>`): versioning and Object Lock, anonymous access
 * by level (mc's none / download / upload / public, for the bucket or a prefix), the bucket policy
 * in the JSON editor, and lifecycle rules.
 */
import { useState } from 'preact/hooks';
import {
  deleteBucketPolicy,
  getBucketPolicy,
  getLifecycle,
  getObjectLock,
  putBucketPolicy,
  putLifecycle,
  type LifecycleRule,
} from '../api/bucket-config.js';
import { getBucketVersioning, putBucketVersioning } from '../api/s3.js';
import type { Session } from '../api/session.js';
import { isLevel, LEVELS, levelOf, otherPublicResources, prefixesOf, readGrants, setLevel, writeGrants, type AnonymousGrants, type Level } from '../../iam/policy/anonymous-levels.js';
import { describeError, LoadError } from '../ui/errors.js';
import { ListTable } from '../ui/list-table.js';
import { useLoad } from '../ui/load.js';
import { notify } from '../ui/notices.js';
import type { PageProps } from '../ui/page.js';
import { href } from '../ui/route.js';
import './admin.css';
import { PolicyEditor, policyIsValid } from './policy-editor.js';
import { act } from './widgets.js';

export function BucketSettingsPage({ session, params }: PageProps) {
  const bucket = params[0] ?? '';
  const policy = useLoad(() => getBucketPolicy(session, bucket), [session, bucket]);
  return (
    <>
      <nav class="breadcrumbs" aria-label="Location">
        <a href={href('buckets')}>Buckets</a>
        <span class="sep">/</span>
        <a href={href('browse', bucket)}>{bucket}</a>
        <span class="sep">/</span>
        <span aria-current="page">Settings</span>
      </nav>
      <div class="settings-grid">
        <Versioning session={session} bucket={bucket} />
        <AnonymousAccess session={session} bucket={bucket} policy={policy.data} loaded={!policy.loading || policy.data !== undefined} onChanged={policy.reload} />
      </div>
      <BucketPolicy key={policy.data ?? ''} session={session} bucket={bucket} text={policy.data} error={policy.error} onChanged={policy.reload} />
      <Lifecycle session={session} bucket={bucket} />
    </>
  );
}

function Versioning({ session, bucket }: { session: Session; bucket: string }) {
  const versioning = useLoad(() => getBucketVersioning(session, bucket), [session, bucket]);
  const lock = useLoad(() => getObjectLock(session, bucket), [session, bucket]);
  const status = versioning.data;
  const locked = lock.data?.enabled === true;
  const change = (next: 'Enabled' | 'Suspended'): Promise<boolean> =>
    act(`Changing versioning of ${bucket}`, () => putBucketVersioning(session, bucket, next), `Versioning ${next === 'Enabled' ? 'enabled' : 'suspended'}.`, versioning.reload);
  return (
    <section class="card" aria-labelledby="versioning-title">
      <h2 id="versioning-title">Versioning</h2>
      <LoadError error={versioning.error} what="Versioning cannot be read" />
      <LoadError error={lock.error} what="Object Lock cannot be read" />
      <dl class="kv">
        <dt>Versioning</dt>
        <dd data-field="versioning">{status === undefined ? '…' : status === '' ? <span class="badge">never enabled</span> : <span class={`badge ${status === 'Enabled' ? 'ok' : 'warn'}`}>{status.toLowerCase()}</span>}</dd>
        <dt>Object Lock</dt>
        <dd data-field="object-lock">
          {lock.data === undefined ? '…' : locked ? <span class="badge info">enabled{lock.data.defaultRetention ? `: ${lock.data.defaultRetention}` : ''}</span> : <span class="muted">off (it is chosen when the bucket is made)</span>}
        </dd>
      </dl>
      <div class="toolbar">
        <button type="button" disabled={status === undefined || status === 'Enabled'} onClick={() => void change('Enabled')}>
          Enable versioning
        </button>
        <button type="button" disabled={status !== 'Enabled' || locked} title={locked ? 'A bucket with Object Lock keeps versioning on' : undefined} onClick={() => void change('Suspended')}>
          Suspend versioning
        </button>
      </div>
    </section>
  );
}

/** The grants of the bucket's policy, or why it cannot be read as levels. */
function grantsOf(text: string | undefined, bucket: string): AnonymousGrants | string {
  try {
    return readGrants(text, bucket);
  } catch (err) {
    return `the bucket policy is ${(err as Error).message}`;
  }
}

const LEVEL_HELP: Record<Exclude<Level, 'custom'>, string> = {
  none: 'private: only signed requests',
  download: 'anyone may list and download',
  upload: 'anyone may upload (not list or download)',
  public: 'anyone may list, download and upload',
};

function AnonymousAccess({ session, bucket, policy, loaded, onChanged }: { session: Session; bucket: string; policy: string | undefined; loaded: boolean; onChanged: () => void }) {
  const [prefix, setPrefix] = useState('');
  const [choice, setChoice] = useState<Level>();
  const grants = grantsOf(policy, bucket);
  const current: Level | undefined = !loaded ? undefined : typeof grants === 'string' ? 'custom' : levelOf(grants, bucket, prefix);
  const selected = choice ?? current;
  const apply = (): Promise<boolean> =>
    act(`Setting anonymous access to ${bucket}/${prefix}`, async () => {
      if (typeof grants === 'string' || !selected || !isLevel(selected)) throw new Error(typeof grants === 'string' ? grants : 'choose a level');
      setLevel(grants, prefix, selected);
      const doc = writeGrants(grants, bucket);
      if (doc) await putBucketPolicy(session, bucket, JSON.stringify(doc));
      else await deleteBucketPolicy(session, bucket);
    }, `Anonymous access to ${bucket}/${prefix} is ${selected}.`, () => (setChoice(undefined), onChanged()));
  const rows = typeof grants === 'string' ? [] : [...prefixesOf(grants).map((p) => ({ target: `${p}*`, level: levelOf(grants, bucket, p) })), ...otherPublicResources(grants, bucket).map((r) => ({ target: r, level: 'custom' as Level }))];
  return (
    <section class="card" aria-labelledby="anonymous-title">
      <h2 id="anonymous-title">Anonymous access</h2>
      <p class="hint">What unsigned requests may do, kept as statements of the bucket policy (as mc anonymous sets them).</p>
      <label>
        Prefix <span class="hint">(empty: the whole bucket)</span>
        <input name="anonymousPrefix" value={prefix} placeholder="e.g. public/" onInput={(e) => (setPrefix(e.currentTarget.value), setChoice(undefined))} />
      </label>
      <p>
        Now: <strong data-field="anonymous-level">{current ?? '…'}</strong>
        {current === 'custom' && <span class="hint"> (the policy grants something other than a preset here)</span>}
      </p>
      <fieldset class="choices level-choices">
        <legend>Preset</legend>
        {LEVELS.map((level) => (
          <label key={level} class="inline" title={LEVEL_HELP[level]}>
            <input type="radio" name="anonymousLevel" value={level} checked={selected === level} onChange={() => setChoice(level)} />
            {level === 'none' ? 'private' : level}
          </label>
        ))}
      </fieldset>
      <p class="hint">{selected && selected !== 'custom' ? LEVEL_HELP[selected] : ''}&nbsp;</p>
      <div class="toolbar">
        <button type="button" class="primary" disabled={!loaded || !selected || selected === current || selected === 'custom'} onClick={() => void apply()}>
          Apply
        </button>
      </div>
      {rows.length > 0 && (
        <ul class="plain" aria-label="Anonymous access now">
          {rows.map((r) => (
            <li key={r.target}>
              <code>
                {bucket}/{r.target}
              </code>{' '}
              <span class="badge info">{r.level}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function BucketPolicy({ session, bucket, text, error, onChanged }: { session: Session; bucket: string; text: string | undefined; error: unknown; onChanged: () => void }) {
  const [value, setValue] = useState(() => (text ? pretty(text) : ''));
  const [refusal, setRefusal] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (what: () => Promise<void>, done: string): Promise<void> => {
    setBusy(true);
    setRefusal(undefined);
    try {
      await what();
      notify.info(done);
      onChanged();
    } catch (err) {
      setRefusal(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card stack" aria-labelledby="bucket-policy-title">
      <h2 id="bucket-policy-title">Bucket policy</h2>
      <LoadError error={error} what="The bucket policy cannot be read" />
      {text === undefined && !error && <p class="muted">The bucket has no policy: only its owner and the users whose policies allow it may use it.</p>}
      <PolicyEditor id="bucket-policy" kind="bucket" label="Policy (JSON; every statement names a Principal)" value={value} onInput={setValue} />
      {refusal && (
        <p class="banner banner-error" role="alert">
          The server refused: {refusal}
        </p>
      )}
      <div class="toolbar">
        <button type="button" class="primary" disabled={busy || !policyIsValid(value, 'bucket')} onClick={() => void run(() => putBucketPolicy(session, bucket, value), 'Bucket policy saved.')}>
          Save policy
        </button>
        <button type="button" class="danger" disabled={busy || text === undefined} onClick={() => void run(() => deleteBucketPolicy(session, bucket), 'Bucket policy deleted.')}>
          Delete policy
        </button>
      </div>
    </section>
  );
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const daysOrUndefined = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text));

function Lifecycle({ session, bucket }: { session: Session; bucket: string }) {
  const rules = useLoad(() => getLifecycle(session, bucket), [session, bucket]);
  const [draft, setDraft] = useState({ id: '', prefix: '', expiration: '', noncurrent: '', abort: '' });
  const field = (name: keyof typeof draft) => ({
    name: `rule-${name}`,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  const numbers = [draft.expiration, draft.noncurrent, draft.abort];
  const valid = numbers.some((n) => n.trim() !== '') && numbers.every((n) => n.trim() === '' || /^[1-9]\d*$/.test(n.trim()));
  const store = (next: LifecycleRule[], what: string, done: string): Promise<boolean> => act(what, () => putLifecycle(session, bucket, next), done, rules.reload);
  const add = async (event: Event): Promise<void> => {
    event.preventDefault();
    const rule: LifecycleRule = {
      id: draft.id.trim() || `rule-${Date.now().toString(36)}`,
      enabled: true,
      prefix: draft.prefix,
      expirationDays: daysOrUndefined(draft.expiration),
      noncurrentDays: daysOrUndefined(draft.noncurrent),
      abortIncompleteDays: daysOrUndefined(draft.abort),
    };
    if (await store([...(rules.data ?? []), rule], 'Adding the lifecycle rule', `Lifecycle rule ${rule.id} added.`)) setDraft({ id: '', prefix: '', expiration: '', noncurrent: '', abort: '' });
  };
  const days = (n: number | undefined) => (n === undefined ? <span class="muted">—</span> : `${n} d`);
  return (
    <section class="card stack" aria-labelledby="lifecycle-title">
      <h2 id="lifecycle-title">Lifecycle rules</h2>
      <LoadError error={rules.error} what="The lifecycle rules cannot be read" />
      <ListTable
        columns={['ID', 'Prefix', 'Status', 'Expire after', 'Noncurrent after', 'Abort uploads after']}
        numeric={['Expire after', 'Noncurrent after', 'Abort uploads after']}
        items={rules.data}
        busy={rules.loading}
        empty="No lifecycle rules."
        row={(r) => (
          <tr key={r.id} data-rule={r.id}>
            <td>
              <code>{r.id}</code>
            </td>
            <td>{r.prefix ? <code>{r.prefix}</code> : <span class="muted">whole bucket</span>}</td>
            <td>
              <span class={`badge ${r.enabled ? 'ok' : 'warn'}`}>{r.enabled ? 'enabled' : 'disabled'}</span>
            </td>
            <td class="num">{days(r.expirationDays)}</td>
            <td class="num">{days(r.noncurrentDays)}</td>
            <td class="num">{days(r.abortIncompleteDays)}</td>
            <td class="row-actions">
              <button type="button" class="danger" onClick={() => void store(rules.data!.filter((x) => x !== r), `Deleting lifecycle rule ${r.id}`, `Lifecycle rule ${r.id} deleted.`)}>
                Delete
              </button>
            </td>
          </tr>
        )}
      />
      <form class="stack" onSubmit={add} aria-labelledby="add-rule-title">
        <h3 id="add-rule-title">Add a rule</h3>
        <div class="lifecycle-fields">
          <label>
            ID <span class="hint">(optional)</span>
            <input {...field('id')} maxLength={255} />
          </label>
          <label>
            Prefix <span class="hint">(empty: whole bucket)</span>
            <input {...field('prefix')} />
          </label>
          <label>
            Expire objects after (days)
            <input {...field('expiration')} inputMode="numeric" />
          </label>
          <label>
            Expire noncurrent versions after (days)
            <input {...field('noncurrent')} inputMode="numeric" />
          </label>
          <label>
            Abort incomplete uploads after (days)
            <input {...field('abort')} inputMode="numeric" />
          </label>
        </div>
        <div class="toolbar">
          <button type="submit" class="primary" disabled={!valid}>
            Add rule
          </button>
          <span class="hint">Give at least one number of days (whole days, 1 or more).</span>
        </div>
      </form>
    </section>
  );
}
