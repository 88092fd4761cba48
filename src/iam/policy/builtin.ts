/**
 * The policies every deployment has, by the names mc users know from MinIO (its policy/constants.go
 * DefaultPolicies), limited to the actions Tessera has. MinIO's readonly also denies admin:CreateUser, and
 * so does this one; its consoleAdmin grants admin:* with no resource, written here with the resource every
 * admin request names.
 */
import { ADMIN_ACTIONS } from '../actions.js';
import { parsePolicy, type Policy } from './document.js';

const ALL_RESOURCES = ['arn:aws:s3:::*'];

/** MinIO's diagnostics actions; those Tessera lacks (admin:OBDInfo, admin:BandwidthMonitor) are left out. */
const DIAGNOSTICS_ACTIONS = [
  'admin:Profiling',
  'admin:ServerTrace',
  'admin:ConsoleLog',
  'admin:ServerInfo',
  'admin:TopLocksInfo',
  'admin:OBDInfo',
  'admin:BandwidthMonitor',
  'admin:Prometheus',
].filter((action) => (ADMIN_ACTIONS as readonly string[]).includes(action));

interface Grant {
  effect: 'Allow' | 'Deny';
  actions: readonly string[];
}

function builtin(...grants: Grant[]): Policy {
  const document = {
    Version: '2012-10-17',
    Statement: grants.map(({ effect, actions }) => ({ Effect: effect, Action: actions, Resource: ALL_RESOURCES })),
  };
  return parsePolicy(JSON.stringify(document, null, 2), 'identity');
}

export const BUILTIN_POLICIES: ReadonlyMap<string, Policy> = new Map([
  [
    'readonly',
    builtin({ effect: 'Allow', actions: ['s3:GetBucketLocation', 's3:GetObject'] }, { effect: 'Deny', actions: ['admin:CreateUser'] }),
  ],
  ['readwrite', builtin({ effect: 'Allow', actions: ['s3:*'] })],
  ['writeonly', builtin({ effect: 'Allow', actions: ['s3:PutObject'] })],
  ['diagnostics', builtin({ effect: 'Allow', actions: DIAGNOSTICS_ACTIONS })],
  ['consoleAdmin', builtin({ effect: 'Allow', actions: ['admin:*'] }, { effect: 'Allow', actions: ['s3:*'] })],
]);
