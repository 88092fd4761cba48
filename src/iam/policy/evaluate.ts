/**
 * Deciding a request against a set of compiled policies, by AWS's rule within one account: any statement
 * that applies with Deny denies; otherwise any that applies with Allow allows; otherwise nothing is said
 * (an implicit deny). A statement applies when its action, principal, resource and every condition match,
 * tested in that order, cheapest first; nothing is compiled here but patterns holding policy variables.
 */
import type { Action } from '../actions.js';
import type { Conditions } from './wildcard.js';
import type { CompiledStatement, Policy, PrincipalMatch, ResourceMatch } from './document.js';

/** Who is asking, as a bucket policy's Principal sees them. Anonymous requests have `anonymous: true` and ids []. */
export interface RequestPrincipal {
  anonymous: boolean;
  /** Identifiers a Principal value may name, matched exactly (case-sensitive), or by the "*" principal. */
  ids: readonly string[];
}

/** The request as a policy sees it. */
export interface RequestContext {
  /** The AWS action name as in src/iam/actions.ts. */
  action: Action;
  /** 'arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/key', or 'arn:aws:s3:::*' for ListAllMyBuckets and admin actions. */
  resource: string;
  principal: RequestPrincipal;
  /** Condition values by lower-cased key; a key absent from the map is absent from the request. */
  conditions: Conditions;
}

export type Decision = 'allow' | 'deny' | 'none';

export function evaluate(policies: readonly Policy[], request: RequestContext): Decision {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      // Once allowed, only a Deny can change the answer.
      if (allowed && statement.effect === 'Allow') continue;
      if (!applies(statement, request)) continue;
      if (statement.effect === 'Deny') return 'deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'none';
}

function applies(statement: CompiledStatement, request: RequestContext): boolean {
  const { actions, principals, resources, conditions } = statement;
  if (actions.actions.has(request.action) === actions.negated) return false;
  if (principals !== undefined && !principalApplies(principals, request.principal)) return false;
  if (!resourceApplies(resources, request.resource, request.conditions)) return false;
  for (const condition of conditions) if (!condition.holds(request.conditions)) return false;
  return true;
}

function principalApplies({ negated, everyone, ids }: PrincipalMatch, principal: RequestPrincipal): boolean {
  return (everyone || names(ids, principal.ids)) !== negated;
}

function names(ids: ReadonlySet<string>, requestIds: readonly string[]): boolean {
  for (const id of requestIds) if (ids.has(id)) return true;
  return false;
}

/** A pattern whose variables the request cannot resolve never lets the statement apply, in either sense. */
function resourceApplies({ negated, patterns }: ResourceMatch, resource: string, conditions: Conditions): boolean {
  for (const pattern of patterns) {
    const matches = pattern.resolve(conditions);
    if (matches === undefined) {
      if (negated) return false;
    } else if (matches(resource)) {
      return !negated;
    }
  }
  return negated;
}
