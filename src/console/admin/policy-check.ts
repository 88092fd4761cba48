/**
 * Checks a policy document as it is typed, before the server sees it: JSON syntax (with the line and
 * column of the error) and the document's shape — Version, a Statement list, Effect Allow or Deny,
 * Action/Resource (or their Not forms) as a string or a list of strings, and Principal: required in a
 * bucket policy, refused in an identity policy. The server checks everything again (action names,
 * ARNs, conditions); its refusal is shown as it comes.
 */
export type PolicyKind = 'identity' | 'bucket';

export interface PolicyProblem {
  message: string;
  /** 1-based, for JSON syntax errors. */
  line?: number;
  column?: number;
}

const VERSIONS = ['2012-10-17', '2008-10-17'];
const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where a JSON.parse error is: the engine's position (or its end of input) turned into line and column. */
function syntaxProblem(text: string, err: Error): PolicyProblem {
  const at = /position (\d+)/.exec(err.message);
  const offset = at ? Number(at[1]) : text.length;
  const before = text.slice(0, offset).split('\n');
  const message = err.message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
  return { message: `JSON syntax: ${message}`, line: before.length, column: before[before.length - 1].length + 1 };
}

function isStringOrList(value: unknown): boolean {
  if (typeof value === 'string') return true;
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

function checkStatement(statement: unknown, where: string, kind: PolicyKind, problems: PolicyProblem[]): void {
  const say = (message: string): void => void problems.push({ message: `${where}: ${message}` });
  if (!isRecord(statement)) return say('a statement must be an object');
  for (const field of Object.keys(statement)) if (!STATEMENT_FIELDS.has(field)) say(`unknown field "${field}"`);
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') say('Effect must be "Allow" or "Deny"');
  for (const [field, not] of [['Action', 'NotAction'], ['Resource', 'NotResource']]) {
    const given = [field, not].filter((f) => statement[f] !== undefined);
    if (given.length !== 1) say(`needs exactly one of ${field} and ${not}`);
    else if (!isStringOrList(statement[given[0]])) say(`${given[0]} must be a string or a non-empty list of strings`);
  }
  const principal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  if (kind === 'identity' && principal) say('an identity policy names no Principal (it applies to whoever it is attached to)');
  if (kind === 'bucket' && !principal) say('a bucket policy statement needs a Principal (e.g. {"AWS": ["*"]} for everyone)');
  if (statement.Condition !== undefined && !isRecord(statement.Condition)) say('Condition must be an object');
}

/** What is wrong with `text` as a policy of `kind`; empty when nothing is seen. */
export function checkPolicy(text: string, kind: PolicyKind): PolicyProblem[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    return [syntaxProblem(text, err as Error)];
  }
  if (!isRecord(document)) return [{ message: 'A policy must be a JSON object ({ ... })' }];
  const problems: PolicyProblem[] = [];
  for (const field of Object.keys(document)) if (!['Version', 'Id', 'Statement'].includes(field)) problems.push({ message: `Unknown top-level field "${field}"` });
  if (!VERSIONS.includes(document.Version as string)) problems.push({ message: 'Version must be "2012-10-17" (or the older "2008-10-17")' });
  const statements = document.Statement;
  if (!Array.isArray(statements) && !isRecord(statements)) problems.push({ message: 'Statement must be a list of statements' });
  else {
    const list = Array.isArray(statements) ? statements : [statements];
    if (list.length === 0) problems.push({ message: 'Statement is empty: a policy needs at least one statement' });
    list.forEach((s, i) => checkStatement(s, `Statement ${i + 1}`, kind, problems));
  }
  return problems;
}
