/**
 * A service's definition as the files the service manager reads, rendered purely from the desired spec.
 * The planner compares its hash with the one observed on the node; apply writes exactly these files, so
 * what was planned is what runs.
 */
import { quoteArg } from '../../controller/model/shell-quote.js';
import { canonicalJson } from '../../controller/model/canonical-json.js';
import { sha256 } from '../../controller/model/sha256.js';
import type { DesiredService } from './schema.js';
import { byCodeUnit } from '../../controller/model/order.js';

export type ServiceManager = 'runit' | 'systemd';

export interface DefinitionFile {
  path: string;
  content: string;
  mode: string;
}

export interface ServiceDefinition {
  files: DefinitionFile[];
  /** Symbolic links that enable the service (runit's /etc/service entry); empty when disabled or under systemd. */
  links: { path: string; target: string }[];
  /** sha256 of the definition files (see definitionHash); what observe reports as `definitionHash`. */
  hash: string;
}

/** A clean, predictable PATH: services never inherit the controller's or the login shell's environment. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The hash the observer must compute the same way from the files it finds: canonical JSON of
 * [{path, content, mode}] sorted by path. Enablement is compared separately, so links are not part of it.
 */
export function definitionHash(files: readonly DefinitionFile[]): string {
  const sorted = [...files].sort((a, b) => byCodeUnit(a.path, b.path));
  return sha256(canonicalJson(sorted.map((f) => ({ path: f.path, content: f.content, mode: f.mode }))));
}

function environmentOf(spec: DesiredService): [string, string][] {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...spec.environment };
  return Object.keys(env)
    .sort()
    .map((k) => [k, env[k] ?? '']);
}

/** `exec` of argv as the service's user with its clean environment: how runit runs it, and its reload command. */
function runitExec(spec: DesiredService, argv: readonly string[]): string {
  return ['exec chpst -u', quoteArg(spec.user), 'env -i', ...environmentOf(spec).map(([k, v]) => quoteArg(`${k}=${v}`)), ...argv.map(quoteArg)].join(' ');
}

/**
 * runsv runs control/h, when present, instead of sending HUP for `sv hup`: so a reload by another signal or
 * by a command is what `sv hup` does, by hand as for underlay. Plain HUP needs no file.
 */
function runitReloadFile(spec: DesiredService, dir: string): DefinitionFile | undefined {
  const reload = spec.reload;
  if (!reload || ('signal' in reload && reload.signal === 'HUP')) return undefined;
  const body = 'signal' in reload ? `exec kill -s ${reload.signal} "$(cat ${quoteArg(`${dir}/supervise/pid`)})"` : runitExec(spec, reload.command);
  return { content: `#!/bin/sh\n${body}\n`, mode: '0755', path: `${dir}/control/h` };
}

function renderRunit(spec: DesiredService): ServiceDefinition {
  const dir = `/etc/sv/${spec.name}`;
  // Members in key order, as the planner's changes: the plan hash then serialises them natively.
  const files: DefinitionFile[] = [{ content: `#!/bin/sh\nexec 2>&1\n${runitExec(spec, [spec.command, ...spec.args])}\n`, mode: '0755', path: `${dir}/run` }];
  // runit restarts whatever exits; a finish script that marks the service down is how it learns not to.
  if (spec.restart === 'never') {
    files.push({ content: `#!/bin/sh\nexec sv down ${quoteArg(dir)}\n`, mode: '0755', path: `${dir}/finish` });
  } else if (spec.restart === 'on-failure') {
    files.push({ content: `#!/bin/sh\n[ "$1" = 0 ] && exec sv down ${quoteArg(dir)}\nexit 0\n`, mode: '0755', path: `${dir}/finish` });
  }
  const reload = runitReloadFile(spec, dir);
  if (reload) files.push(reload);
  const links = spec.enabled ? [{ path: `/etc/service/${spec.name}`, target: dir }] : [];
  return { files, links, hash: definitionHash(files) };
}

/** systemd's own quoting: inside double quotes, backslash and quote are escaped, `%` starts a specifier. */
function systemdQuote(value: string, expandsVariables: boolean): string {
  let out = value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%').replaceAll('\n', '\\n');
  // ExecStart= expands $VAR; Environment= does not, so doubling there would change the value.
  if (expandsVariables) out = out.replaceAll('$', () => '$$');
  return `"${out}"`;
}

const SYSTEMD_RESTART = { always: 'always', 'on-failure': 'on-failure', never: 'no' } as const;

/** `systemctl reload` runs ExecReload as the service's user; $MAINPID is systemd's own, so left unquoted. */
function systemdReload(spec: DesiredService): string[] {
  const reload = spec.reload;
  if (!reload) return [];
  if ('signal' in reload) return [`ExecReload=/bin/kill -s ${reload.signal} $MAINPID`];
  return [`ExecReload=${reload.command.map((a) => systemdQuote(a, true)).join(' ')}`];
}

function renderSystemd(spec: DesiredService): ServiceDefinition {
  const lines = [
    '[Unit]',
    `Description=${spec.name} (managed by underlay)`,
    '',
    '[Service]',
    'Type=simple',
    `User=${spec.user}`,
    ...environmentOf(spec).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`, false)}`),
    `ExecStart=${[spec.command, ...spec.args].map((a) => systemdQuote(a, true)).join(' ')}`,
    ...systemdReload(spec),
    `Restart=${SYSTEMD_RESTART[spec.restart]}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  const files = [{ content: lines.join('\n'), mode: '0644', path: `/etc/systemd/system/${spec.name}.service` }];
  return { files, links: [], hash: definitionHash(files) };
}

export function renderServiceDefinition(spec: DesiredService, manager: ServiceManager): ServiceDefinition {
  return manager === 'runit' ? renderRunit(spec) : renderSystemd(spec);
}

/**
 * renderServiceDefinition, remembered by the spec's canonical JSON: a large site runs the same service spec
 * on thousands of nodes. Meant to live for one plan; callers share the returned value, so must not change it.
 */
export class ServiceDefinitionCache {
  readonly #byKey = new Map<string, ServiceDefinition>();

  render(spec: DesiredService, manager: ServiceManager): ServiceDefinition {
    const key = `${manager} ${canonicalJson(spec)}`;
    let definition = this.#byKey.get(key);
    if (!definition) {
      definition = renderServiceDefinition(spec, manager);
      this.#byKey.set(key, definition);
    }
    return definition;
  }
}
