/**
 * The AWS policy language for Tessera's IAM: parse and validate a policy document once (parsePolicy),
 * decide requests against compiled policies many times (evaluate), and the built-in policies.
 */
export { PolicyError } from './conditions.js';
export { parsePolicy, type CompiledStatement, type Policy, type PolicyKind } from './document.js';
export { evaluate, type Decision, type RequestContext, type RequestPrincipal } from './evaluate.js';
export { BUILTIN_POLICIES } from './builtin.js';
