/**
 * The deployment files, checked as text (no container engine runs here): the image runs as a
 * non-root user and carries no credentials, and every deployment takes them from outside (required
 * variables, a Kubernetes Secret, a root-only environment file) with the server refusing to start
 * without them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOT_PASSWORD } from '../../src/iam/root.js';
import { ROOT } from '../helpers/server.js';

const read = (name: string): string => readFileSync(join(ROOT, 'deploy', name), 'utf8');
/** The file without comment lines. */
const code = (text: string): string => text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
const FILES = ['Dockerfile', 'docker-compose.yml', 'docker-compose.cluster.yml', 'kubernetes.yaml', 'tessera.service', 'nginx/tessera.conf', 'haproxy/haproxy.cfg'];

describe('deploy/Dockerfile', () => {
  const dockerfile = code(read('Dockerfile'));
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs the server as a numeric non-root user that owns /data', () => {
    const user = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(finalStage);
    expect(user, 'USER uid[:gid] (numeric, so runAsNonRoot can verify it)').not.toBeNull();
    expect(Number(user![1])).toBeGreaterThan(0);
    expect(finalStage).toMatch(new RegExp(`useradd[^\\n]*--uid ${user![1]}`));
    expect(finalStage).toMatch(/chown\s+\S+\s+\/data/);
    expect(finalStage.indexOf('\nUSER ')).toBeGreaterThan(finalStage.lastIndexOf('\nRUN '));
  });

  it('carries no credentials and requires them', () => {
    expect(dockerfile).not.toMatch(/^(ENV|ARG)\b[^\n]*TESSERA_ROOT_/m);
    expect(finalStage).toMatch(/^ENV\b[^\n]*\bTESSERA_REQUIRE_CREDENTIALS=1\b/m);
  });
});

describe.each(['docker-compose.yml', 'docker-compose.cluster.yml'])('deploy/%s', (file) => {
  it('passes the credentials only as required variables from the environment or .env', () => {
    const compose = code(read(file));
    for (const name of ['TESSERA_ROOT_USER', 'TESSERA_ROOT_PASSWORD']) {
      const line = new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(compose);
      expect(line, name).not.toBeNull();
      expect(line![1], name).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));
    }
  });
});

describe('deploy/docker-compose.cluster.yml', () => {
  const compose = code(read('docker-compose.cluster.yml'));

  it('starts four nodes, each with its own --address and the same drive list, behind nginx', () => {
    const commands = [...compose.matchAll(/^\s*command: \["--address", "(tessera\d):9000", "([^"]+)"\]$/gm)];
    expect(commands.map((c) => c[1])).toEqual(['tessera1', 'tessera2', 'tessera3', 'tessera4']);
    expect(new Set(commands.map((c) => c[2]))).toEqual(new Set(['http://tessera{1...4}:9000/data/drive{1...4}']));
    expect(compose).toMatch(/\.\/nginx\/tessera\.conf:\/etc\/nginx\/conf\.d\/default\.conf:ro/);
  });
});

describe('deploy/kubernetes.yaml', () => {
  const k8s = code(read('kubernetes.yaml'));

  it('takes the credentials from a Secret', () => {
    for (const name of ['TESSERA_ROOT_USER', 'TESSERA_ROOT_PASSWORD']) {
      const entry = new RegExp(`^.*name: ${name}\\b.*$`, 'm').exec(k8s);
      expect(entry, name).not.toBeNull();
      expect(entry![0], name).toMatch(/valueFrom: \{ secretKeyRef: \{ name: tessera-root, key: \w+ \} \}/);
      expect(entry![0], name).not.toMatch(/\bvalue:/);
    }
  });

  it('has a Service for clients, probes on the health endpoints, a disruption budget and resources', () => {
    expect(k8s).toMatch(/^kind: Service\nmetadata:\n  name: tessera-s3$/m);
    expect(k8s).toMatch(/^kind: PodDisruptionBudget$/m);
    expect(k8s).toMatch(/^\s+maxUnavailable: 1$/m);
    expect(k8s).toMatch(/readinessProbe:\n\s+httpGet: \{ path: \/tessera\/health\/ready, port: 9000 \}/);
    expect(k8s).toMatch(/livenessProbe:\n\s+httpGet: \{ path: \/tessera\/health\/live, port: 9000 \}/);
    expect(k8s).toMatch(/resources:\n\s+requests: \{ cpu: \S+, memory: \S+ \}\n\s+limits: \{ memory: \S+ \}/);
  });

  it('runs as the image\'s non-root user without privilege escalation', () => {
    const uid = /^USER\s+(\d+)/m.exec(read('Dockerfile'))![1];
    expect(k8s).toMatch(/^\s+runAsNonRoot: true$/m);
    expect(k8s).toMatch(new RegExp(`^\\s+runAsUser: ${uid}$`, 'm'));
    expect(k8s).toMatch(new RegExp(`^\\s+fsGroup: ${uid}$`, 'm'));
    expect(k8s).toMatch(/^\s+allowPrivilegeEscalation: false$/m);
  });
});

describe('deploy/nginx/tessera.conf', () => {
  const conf = code(read('nginx/tessera.conf'));

  it("logs requests without their query strings, which carry presigned URLs' signatures", () => {
    const access = /^\s*access_log \S+ (\w+);$/m.exec(conf);
    expect(access, 'an access_log with a format of its own').not.toBeNull();
    const format = new RegExp(`log_format ${access![1]} ([^;]+);`).exec(conf);
    expect(format).not.toBeNull();
    expect(format![1]).toContain('$uri');
    expect(format![1]).not.toMatch(/\$(request|request_uri|args|query_string|arg_\w+)\b/);
  });
});

describe('deploy/tessera.service', () => {
  it('runs as a dedicated user, with the credentials in an environment file and required', () => {
    const unit = code(read('tessera.service'));
    expect(unit).toMatch(/^User=tessera$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/\S+$/m);
    expect(unit).toMatch(/^Environment=TESSERA_REQUIRE_CREDENTIALS=1$/m);
    expect(unit).not.toMatch(/^Environment=.*TESSERA_ROOT_/m);
  });
});

describe('every deploy file', () => {
  it('holds no password, not even the published default', () => {
    for (const name of FILES) {
      const text = read(name);
      expect(text, name).not.toContain(DEFAULT_ROOT_PASSWORD);
      expect(text, name).not.toMatch(/change-?me/i);
      expect(code(text), name).not.toMatch(/PASSWORD[=:]\s*["']?[\w-]{4,}/);
    }
  });
});
