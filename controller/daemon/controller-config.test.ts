import test from 'ava';
import { formatDiagnostic } from '../spec/diagnostic.js';
import { ControllerConfigError, listenAddress, parseControllerConfig } from './controller-config.js';

const valid = `apiVersion: underlay.dev/v1alpha1
kind: ControllerConfig
stateDir: state
sites:
  - name: lab
    source:
      repository: ../site
      ref: main
    apply:
      policy: approve
      windows:
        - kind: allow
          schedule: "0 22 * * *"
          duration: 4h
  - name: edge
    source:
      repository: https://git.example.org/edge.git
`;

/** The formatted diagnostics of a config that does not validate. */
function problems(text: string): string[] {
  try {
    parseControllerConfig('/etc/underlay/controller.yaml', text);
  } catch (error) {
    if (error instanceof ControllerConfigError) {
      return error.data.diagnostics.map(formatDiagnostic);
    }
    throw error;
  }
  throw new Error('the config validated');
}

test('a valid config: defaults filled in, its paths made absolute against its directory, URLs left alone', (t) => {
  const config = parseControllerConfig('/etc/underlay/controller.yaml', valid);
  t.is(config.stateDir, '/etc/underlay/state');
  t.is(config.sites[0]?.source.repository, '/etc/site');
  t.is(config.sites[1]?.source.repository, 'https://git.example.org/edge.git');
  t.like(config.sites[1], { concurrency: 8, interval: '10m', suspended: false, apply: { policy: 'auto', windows: [] }, drift: { schedule: '*/5 * * * *' } });
  t.like(config.sites[1]?.source, { poll: '1m', timeout: '2m', credentialsSecret: 'git-ssh-key' });
  t.like(config, { api: { listen: '127.0.0.1:9440', tokenSecret: 'controller-api-token' }, shutdownTimeout: '30s', retention: { runs: 200, maxAge: '30d' } });
});

test('every problem is reported at once, each with file, line, column and field', (t) => {
  const broken = valid
    .replace('policy: approve', 'policy: sometimes')
    .replace('schedule: "0 22 * * *"', 'schedule: "at ten"')
    .replace('ref: main', 'ref: main\n      pol: 1m')
    .replace('name: edge', 'name: Edge');
  t.deepEqual(problems(broken), [
    '/etc/underlay/controller.yaml:9:7: error: sites[0].source.pol: unknown field "pol" [SchemaViolation]',
    '/etc/underlay/controller.yaml:11:15: error: sites[0].apply.policy: must be one of "auto", "plan-only", "approve" [SchemaViolation]',
    '/etc/underlay/controller.yaml:14:21: error: sites[0].apply.windows[0].schedule: must be a cron expression such as "*/5 * * * *" (minute hour day month weekday) [SchemaViolation]',
    '/etc/underlay/controller.yaml:16:11: error: sites[1].name: must be a lowercase DNS label (a-z, 0-9, -; at most 63 characters) [SchemaViolation]',
  ]);
});

test('a site configured twice, a YAML error, a missing kind and a second document are refused with where they are', (t) => {
  t.deepEqual(problems(valid.replace('name: edge', 'name: lab')), ['/etc/underlay/controller.yaml:15:11: error: sites[1].name: site "lab" is configured twice [DuplicateName]']);
  t.regex(problems(valid.replace('  - name: edge', '  - name: edge\n  bad: [')).join('\n'), /^\/etc\/underlay\/controller\.yaml:\d+:\d+: error: .*\[YamlSyntax\]/);
  t.deepEqual(problems(valid.replace('kind: ControllerConfig\n', '')), ['/etc/underlay/controller.yaml:1:1: error: kind: must be one of "ControllerConfig" [SchemaViolation]']);
  t.deepEqual(problems(`${valid}---\n${valid}`), ['/etc/underlay/controller.yaml:19:1: error: one ControllerConfig document per file [SchemaViolation]']);
});

test('the error thrown names the file and lists the problems, one per line', (t) => {
  const error = t.throws(() => parseControllerConfig('controller.yaml', valid.replace('repository: ../site', 'repository: ""')), { instanceOf: ControllerConfigError });
  t.is(error?.code, 'ControllerConfigInvalid');
  t.regex(error?.message ?? '', /^controller\.yaml is not a valid controller configuration:\ncontroller\.yaml:7:19: error: sites\[0\]\.source\.repository: /);
});

test('listen addresses: host:port, a bare :port on 127.0.0.1, IPv6 in brackets', (t) => {
  t.deepEqual(listenAddress('0.0.0.0:9441'), { host: '0.0.0.0', port: 9441 });
  t.deepEqual(listenAddress(':9440'), { host: '127.0.0.1', port: 9440 });
  t.deepEqual(listenAddress('[::1]:9440'), { host: '::1', port: 9440 });
});

test('the example in docs/controller.md is a valid configuration', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/controller.md', import.meta.url), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const config = parseControllerConfig('/etc/underlay/controller.yaml', example);
  t.is(config.sites[0]?.name, 'lab');
  t.is(config.sites[0]?.alerts.length, 2);
});

test('observe.snapshot (rehearsal) is allowed only under plan-only, and its path is made absolute', (t) => {
  const replayed = valid.replace('      repository: https://git.example.org/edge.git\n', '      repository: https://git.example.org/edge.git\n    observe:\n      snapshot: recorded/edge.json\n');
  t.deepEqual(problems(replayed), [
    '/etc/underlay/controller.yaml:19:17: error: sites[1].observe.snapshot: a site observed from a recorded inventory can only plan: set apply: {policy: plan-only} (it is auto); nothing can be applied to recorded nodes [SchemaViolation]',
  ]);
  t.deepEqual(problems(replayed.replace('    observe:', '    apply: {policy: approve}\n    observe:')).length, 1, 'approve applies too: refused');
  const config = parseControllerConfig('/etc/underlay/controller.yaml', replayed.replace('    observe:', '    apply: {policy: plan-only}\n    observe:'));
  t.deepEqual(config.sites[1]?.observe, { snapshot: '/etc/underlay/recorded/edge.json' });
  t.is(config.sites[0]?.observe, undefined, 'a site without it observes its nodes');
});
