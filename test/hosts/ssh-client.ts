import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type ExecResult } from './exec.js';
import type { TestHost } from './harness.js';

/** A known_hosts file trusting exactly the given host keys, so a wrong key fails strict checking. */
export function writeKnownHosts(dir: string, fileName: string, hosts: Pick<TestHost, 'address' | 'hostKey'>[]): string {
  const path = join(dir, fileName);
  writeFileSync(path, hosts.map((h) => `${h.address} ${h.hostKey}\n`).join(''));
  return path;
}

/** The real OpenSSH client with strict host key checking and no user or system config in play. */
export function sshRun(host: Pick<TestHost, 'address' | 'port' | 'user'>, keyPath: string, knownHosts: string, command: string): Promise<ExecResult> {
  return run(
    [
      'ssh', '-F', '/dev/null',
      '-i', keyPath,
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=5',
      '-p', String(host.port),
      `${host.user}@${host.address}`,
      command,
    ],
    { timeoutMs: 60_000 },
  );
}
