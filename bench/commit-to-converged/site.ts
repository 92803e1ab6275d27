/**
 * The two repositories of the benchmark, for the same work on the same nodes: the converge benchmark's
 * underlay site (20 templated files and two runit services per node, bench/converge/site.ts) plus /etc/motd,
 * the one file every sample changes; and the Ansible repository a CI job would run on a push: the converge
 * benchmark's playbook with the same /etc/motd task (playbook.yml here).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import type { TestHost } from '../../test/hosts/harness.js';
import { writeSite } from '../converge/site.js';

const execFileAsync = promisify(execFile);
const here = import.meta.dirname;
const convergeDir = path.join(here, '..', 'converge');

export const MOTD = '/etc/motd';

export async function git(repoDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-C', repoDir, '-c', 'user.name=underlay bench', '-c', 'user.email=bench@underlay.invalid', ...args]);
  return stdout.trim();
}

interface ModuleDoc {
  spec: { resources: { file?: { path: string; mode?: string; content?: string } }[] };
}

const moduleFile = (repoDir: string): string => path.join(repoDir, 'modules', 'bench.yaml');

/** The motd's content in the site's module (added the first time). Does not commit. */
export async function setMotd(repoDir: string, content: string): Promise<void> {
  const doc = parse(await readFile(moduleFile(repoDir), 'utf8')) as ModuleDoc;
  const motd = doc.spec.resources.find((r) => r.file?.path === MOTD);
  if (motd?.file) motd.file.content = content;
  else doc.spec.resources.push({ file: { path: MOTD, mode: '0644', content } });
  await writeFile(moduleFile(repoDir), stringify(doc, { lineWidth: 0 }));
}

/** The underlay site for these hosts, with the motd, committed on `main`. */
export async function writeBenchSite(repoDir: string, hosts: readonly TestHost[], motd: string): Promise<void> {
  await writeSite(repoDir, hosts);
  await setMotd(repoDir, motd);
  await git(repoDir, 'commit', '-q', '-am', 'the motd');
}

/** The Ansible repository (playbook, templates, the motd as a file), committed on `main`. */
export async function writeAnsibleRepo(dir: string, motd: string): Promise<void> {
  await mkdir(path.join(dir, 'files'), { recursive: true });
  await cp(path.join(convergeDir, 'playbook.yml'), path.join(dir, 'converge.yml'));
  await cp(path.join(convergeDir, 'templates'), path.join(dir, 'templates'), { recursive: true });
  await cp(path.join(here, 'playbook.yml'), path.join(dir, 'playbook.yml'));
  await writeFile(path.join(dir, 'files', 'motd'), motd);
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'playbook');
}
