/**
 * A policy document editor: a monospace text area checked as it is typed (policy-check.ts), the
 * problems listed under it with the line and column of a syntax error, and a button to reformat.
 */
import { useMemo } from 'preact/hooks';
import { checkPolicy, type PolicyKind, type PolicyProblem } from './policy-check.js';

export function PolicyEditor({ value, onInput, kind, label = 'Policy (JSON)', id }: { value: string; onInput: (text: string) => void; kind: PolicyKind; label?: string; id: string }) {
  const problems = useMemo(() => (value.trim() === '' ? [] : checkPolicy(value, kind)), [value, kind]);
  const format = (): void => {
    try {
      onInput(JSON.stringify(JSON.parse(value), null, 2));
    } catch {
      // a syntax error stays listed until it is fixed
    }
  };
  return (
    <div class="policy-editor">
      <div class="toolbar">
        <label for={id} class="grow">
          {label}
        </label>
        <button type="button" onClick={format} disabled={problems.some((p) => p.line !== undefined)}>
          Format
        </button>
      </div>
      <textarea
        id={id}
        class="code"
        spellcheck={false}
        autocomplete="off"
        aria-invalid={problems.length > 0}
        aria-describedby={`${id}-problems`}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <ul id={`${id}-problems`} class="policy-problems" aria-live="polite">
        {problems.length === 0 && value.trim() !== '' && <li class="ok">Looks like a valid {kind} policy.</li>}
        {problems.map((p, i) => (
          <li key={i} class="bad">
            {where(p)}
            {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function where(problem: PolicyProblem): string {
  return problem.line === undefined ? '' : `Line ${problem.line}, column ${problem.column}: `;
}

/** Whether `text` may be sent (no problem seen). */
export function policyIsValid(text: string, kind: PolicyKind): boolean {
  return text.trim() !== '' && checkPolicy(text, kind).length === 0;
}

export const IDENTITY_POLICY_TEMPLATE = JSON.stringify(
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::my-bucket', 'arn:aws:s3:::my-bucket/*'] }] },
  null,
  2,
);
