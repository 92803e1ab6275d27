/**
 * The configuration of `underlay controller` (docs/controller.md): the listeners, where state and secrets
 * are, and one entry per site (its source, apply policy, drift schedule, alert routes). It is read like a
 * site document: every problem at once, each naming file, line and field, and nothing starts until the whole
 * file is valid. Paths in it are relative to the file's directory.
 */
import { Cron } from 'croner';
import path from 'node:path';
import { z } from 'zod';
import { issuesToDiagnostics } from '../load/schema-diagnostics.js';
import { parseYamlFile } from '../load/yaml-documents.js';
import { diagnostic, fieldPath, formatDiagnostic, sortDiagnostics, type Diagnostic } from '../spec/diagnostic.js';
import { Duration, durationSeconds } from '../spec/duration.js';
import { Name, SecretName } from '../spec/primitives.js';
import { API_VERSION } from '../spec/schema.js';
import { UnderlayError } from '../model/errors.js';
import { parseRepoLocation } from '../source/repo-location.js';
import { alertRouteSchema } from '../alerts/alert-route.js';

export const CONTROLLER_CONFIG_KIND = 'ControllerConfig';

/** Drift is checked every 5 minutes unless a site says otherwise (and after every apply). */
export const DEFAULT_DRIFT_SCHEDULE = '*/5 * * * *';

/** A cron expression croner reads (5 fields, or 6 with seconds first, or a nickname such as @hourly). */
export const CronSchedule = z.string().refine((expression) => {
  try {
    new Cron(expression, { paused: true });
    return true;
  } catch {
    return false;
  }
}, 'must be a cron expression such as "*/5 * * * *" (minute hour day month weekday)');

/** `host:port`; a bare `:port` listens on 127.0.0.1 (never on every address by accident). */
export const ListenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'must be host:port, e.g. "127.0.0.1:9440" or ":9440"')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'the port must be at most 65535');

export const ChangeWindow = z.strictObject({
  /** allow: changes only inside (some allow window); deny: no changes inside. A deny window wins over an allow one. */
  kind: z.enum(['allow', 'deny']),
  /** When each window opens. */
  schedule: CronSchedule,
  /** How long it stays open. */
  duration: Duration,
  /** IANA time zone of the schedule (default UTC). */
  timezone: z.string().optional(),
});

export const ApplyPolicy = z.enum(['auto', 'plan-only', 'approve']);

export const WebhookProvider = z.enum(['github', 'gitlab', 'gitea']);

export const SiteSource = z.strictObject({
  /** A local path, an http(s):// URL, or a repository behind SSH, as `--repo` takes it. */
  repository: z.string().min(1),
  /** Branch, tag or commit (default HEAD). */
  ref: z.string().min(1).optional(),
  /** The secret holding the private key for Git over SSH. */
  credentialsSecret: SecretName.default('git-ssh-key'),
  /** known_hosts of the Git servers (default <stateDir>/known_hosts). */
  knownHosts: z.string().min(1).optional(),
  /** A remote is re-read this often, ±5 % (default 1m); a local repository is watched instead. */
  poll: Duration.default('1m'),
  /** A read of the source taking longer than this fails the reconcile (SourceTimeout) instead of holding the site. */
  timeout: Duration.default('2m'),
  webhook: z.strictObject({ provider: WebhookProvider, secret: SecretName }).optional(),
  /** Apply only commits signed by a key in this allowed-signers file (ssh-keygen -Y verify). */
  verifySignatures: z.strictObject({ allowedSigners: z.string().min(1) }).optional(),
});

export const SiteConfig = z.strictObject({
  /** The site id: the name of the Site document in its repository, which keys its state. */
  name: Name,
  source: SiteSource,
  /** The site's secret store (default the controller's). */
  secretsDir: z.string().min(1).optional(),
  /** Nodes observed and changed at once. */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Reconciled again this often even when nothing said the source moved (level-based resync). */
  interval: Duration.default('10m'),
  suspended: z.boolean().default(false),
  apply: z.strictObject({ policy: ApplyPolicy.default('auto'), windows: z.array(ChangeWindow).default([]) }).default({ policy: 'auto', windows: [] }),
  /** When drift is checked, besides after every apply (controller/drift). */
  drift: z.strictObject({ schedule: CronSchedule.default(DEFAULT_DRIFT_SCHEDULE) }).default({ schedule: DEFAULT_DRIFT_SCHEDULE }),
  /** Where the site's alerts go (controller/alerts). */
  alerts: z.array(alertRouteSchema).default([]),
  /** The SSH connections kept open between runs (ADR 0027): closed after idleTimeout unused, at most max open. */
  connections: z
    .strictObject({ idleTimeout: Duration.default('10m'), max: z.number().int().min(1).max(4096).default(256) })
    .default({ idleTimeout: '10m', max: 256 }),
  /**
   * Rehearsal: plan and check drift against this recorded inventory snapshot (the file `underlay inventory`
   * writes), re-read on every run, instead of observing the nodes. Only with apply policy plan-only.
   */
  observe: z.strictObject({ snapshot: z.string().min(1) }).optional(),
});

export const ControllerConfigSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(CONTROLLER_CONFIG_KIND),
  /** Default: as the CLI's --state-dir. */
  stateDir: z.string().min(1).optional(),
  /** Default <stateDir>/secrets. */
  secretsDir: z.string().min(1).optional(),
  api: z
    .strictObject({ listen: ListenAddress.default('127.0.0.1:9440'), tokenSecret: SecretName.default('controller-api-token') })
    .default({ listen: '127.0.0.1:9440', tokenSecret: 'controller-api-token' }),
  webhooks: z.strictObject({ listen: ListenAddress, tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional() }).optional(),
  /** How long SIGTERM waits for the changes in flight. */
  shutdownTimeout: Duration.default('30s'),
  heartbeat: Duration.default('15s'),
  retention: z.strictObject({ runs: z.number().int().min(1).default(200), maxAge: Duration.default('30d') }).default({ runs: 200, maxAge: '30d' }),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).default({ level: 'info' }),
  sites: z.array(SiteConfig).min(1, 'name at least one site'),
});

export type ControllerConfig = z.infer<typeof ControllerConfigSchema>;
export type SiteConfig = z.infer<typeof SiteConfig>;
export type ChangeWindow = z.infer<typeof ChangeWindow>;

export class ControllerConfigError extends UnderlayError<{ file: string; diagnostics: Diagnostic[] }> {
  constructor(file: string, diagnostics: Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super({ code: 'ControllerConfigInvalid', message: `${file} is not a valid controller configuration:\n${sorted.map(formatDiagnostic).join('\n')}`, data: { file, diagnostics: sorted } });
  }
}

/** Two sites of one name would share one state; say where the second is. */
function duplicateSites(value: ControllerConfig, locate: (p: (string | number)[]) => Diagnostic['location']): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  value.sites.forEach((site, i) => {
    if (seen.has(site.name)) out.push(diagnostic('DuplicateName', `site "${site.name}" is configured twice`, { location: locate(['sites', i, 'name']), field: fieldPath(['sites', i, 'name']) }));
    seen.add(site.name);
  });
  return out;
}

/** A window longer than the gap between its openings would always be open; that is a mistake, not a window. */
function windowProblems(value: ControllerConfig, locate: (p: (string | number)[]) => Diagnostic['location']): Diagnostic[] {
  const out: Diagnostic[] = [];
  value.sites.forEach((site, i) =>
    site.apply.windows.forEach((w, j) => {
      if (durationSeconds(w.duration) === 0) {
        const p = ['sites', i, 'apply', 'windows', j, 'duration'];
        out.push(diagnostic('SchemaViolation', 'a change window must last longer than 0s', { location: locate(p), field: fieldPath(p) }));
      }
    }),
  );
  return out;
}

/** Nothing can be applied to nodes that are only a recording: a replayed site may only plan. */
function replayProblems(value: ControllerConfig, locate: (p: (string | number)[]) => Diagnostic['location']): Diagnostic[] {
  return value.sites.flatMap((site, i) => {
    if (!site.observe || site.apply.policy === 'plan-only') return [];
    const p = ['sites', i, 'observe', 'snapshot'];
    const message = `a site observed from a recorded inventory can only plan: set apply: {policy: plan-only} (it is ${site.apply.policy}); nothing can be applied to recorded nodes`;
    return [diagnostic('SchemaViolation', message, { location: locate(p), field: fieldPath(p) })];
  });
}

/** Resolves the config's own paths against its directory, so the process's working directory never matters. */
function withAbsolutePaths(config: ControllerConfig, dir: string): ControllerConfig {
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(dir, p));
  const local = (repo: string): string => (parseRepoLocation(repo).kind === 'local' ? path.resolve(dir, repo) : repo);
  const sites = config.sites.map((s) => ({
    ...s,
    source: {
      ...s.source,
      repository: local(s.source.repository),
      ...(s.source.knownHosts ? { knownHosts: abs(s.source.knownHosts) as string } : {}),
      ...(s.source.verifySignatures ? { verifySignatures: { allowedSigners: abs(s.source.verifySignatures.allowedSigners) as string } } : {}),
    },
    ...(s.secretsDir ? { secretsDir: abs(s.secretsDir) as string } : {}),
    ...(s.observe ? { observe: { snapshot: abs(s.observe.snapshot) as string } } : {}),
  }));
  const webhooks = config.webhooks?.tls ? { ...config.webhooks, tls: { cert: abs(config.webhooks.tls.cert) as string, key: abs(config.webhooks.tls.key) as string } } : config.webhooks;
  return {
    ...config,
    ...(config.stateDir ? { stateDir: abs(config.stateDir) as string } : {}),
    ...(config.secretsDir ? { secretsDir: abs(config.secretsDir) as string } : {}),
    ...(webhooks ? { webhooks } : {}),
    sites,
  };
}

/** The configuration in `text` (read from `file`), or a ControllerConfigError listing every problem. */
export function parseControllerConfig(file: string, text: string): ControllerConfig {
  const parsed = parseYamlFile(file, text);
  if (parsed.diagnostics.length > 0) throw new ControllerConfigError(file, parsed.diagnostics);
  const [doc, extra] = parsed.documents;
  if (!doc) throw new ControllerConfigError(file, [diagnostic('SchemaViolation', `the file is empty; expected one ${CONTROLLER_CONFIG_KIND} document`, { location: { file, line: 1, column: 1 } })]);
  if (extra) throw new ControllerConfigError(file, [diagnostic('SchemaViolation', `one ${CONTROLLER_CONFIG_KIND} document per file`, { location: extra.location })]);
  const result = ControllerConfigSchema.safeParse(doc.value);
  if (!result.success) throw new ControllerConfigError(file, issuesToDiagnostics(doc, result.error.issues));
  const problems = [...duplicateSites(result.data, doc.locate), ...windowProblems(result.data, doc.locate), ...replayProblems(result.data, doc.locate)];
  if (problems.length > 0) throw new ControllerConfigError(file, problems);
  return withAbsolutePaths(result.data, path.dirname(path.resolve(file)));
}

/** `host:port` as a listener takes it; an empty host is 127.0.0.1. */
export function listenAddress(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host: host === '' ? '127.0.0.1' : host, port: Number(listen.slice(colon + 1)) };
}
