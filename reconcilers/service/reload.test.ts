/**
 * Reloads: `reloadOnChangeOf` and `reload` through load and resolve, the definitions they render (runit's
 * control/h, systemd's ExecReload), and what the planner makes of a change: a reload when only reload causes
 * changed, a restart when a restart cause did too, an update alone when the definition itself changed, a
 * start when the service is down; an owed reload after a crash; the plan's text.
 */
import test from 'ava';
import { loadSpec } from '../../controller/load/load-spec.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { planGraph } from '../../controller/plan/plan-graph.js';
import { renderText } from '../../controller/plan/render-text.js';
import { renderChangeSetSummary, summariseChangeSet, type ChangeSet } from '../../controller/apply/change-set.js';
import { cluster, module, revisionOf, validSite } from '../../test/support/site-files.js';
import { appliedNode, desired, file, inventory, node, resource, service } from '../../test/support/build-desired.js';
import { registry } from '../registry.js';
import { renderServiceDefinition } from './definition.js';
import type { DesiredService } from './schema.js';

const site = (resources: string) => ({
  ...validSite(),
  'modules/lb.yaml': module('lb', `  resources:\n${resources}`),
  'clusters/lb.yaml': cluster('lb', '  steps:\n    - name: lb\n      module: lb\n'),
});

const loadProblems = (resources: string) => loadSpec(revisionOf(site(resources))).diagnostics.map((d) => [d.code, d.field]);

function serviceOf(resources: string): DesiredService | undefined {
  const loaded = loadSpec(revisionOf(site(resources)));
  if (!loaded.spec) return undefined;
  const resolved = resolveSite(loaded.spec, {}, {});
  const spec = resolved.desired?.nodes.find((n) => n.name === 'n1')?.resources.find((r) => r.key === 'service:lb')?.spec;
  return spec?.kind === 'service' ? (spec as DesiredService) : undefined;
}

const FILES = `    - file: {path: /etc/lb.cfg, content: "x"}
    - file: {path: /etc/lb.key, content: "k"}
`;

test('reloadOnChangeOf alone reloads with HUP; a declared signal or command is kept; neither leaves the spec as it was', (t) => {
  t.like(serviceOf(`${FILES}    - service: {name: lb, command: /usr/sbin/lb, reloadOnChangeOf: [file:/etc/lb.cfg]}\n`), {
    reloadOnChangeOf: ['file:/etc/lb.cfg'],
    reload: { signal: 'HUP' },
  });
  t.like(serviceOf(`${FILES}    - service: {name: lb, command: /usr/sbin/lb, reloadOnChangeOf: [file:/etc/lb.cfg], reload: {signal: USR2}}\n`), { reload: { signal: 'USR2' } });
  t.like(serviceOf(`${FILES}    - service: {name: lb, command: /usr/sbin/lb, reload: {command: [/usr/sbin/lb, -s, "{{ node.name }}"]}}\n`), {
    reload: { command: ['/usr/sbin/lb', '-s', 'n1'] },
  });
  const plain = serviceOf(`${FILES}    - service: {name: lb, command: /usr/sbin/lb, restartOnChangeOf: [file:/etc/lb.key]}\n`);
  t.truthy(plain);
  t.false(plain !== undefined && ('reload' in plain || 'reloadOnChangeOf' in plain), 'no reload members: its hash and definition stay what they were');
});

test('load: a reload signal that stops a process, a key both restarting and reloading, a dangling one, a reload program outside the roots', (t) => {
  t.deepEqual(loadProblems(`    - service: {name: lb, command: /usr/sbin/lb, reload: {signal: TERM}}\n`), [['SchemaViolation', 'spec.resources[0].service.reload.signal']]);
  t.deepEqual(
    loadProblems(`${FILES}    - service: {name: lb, command: /usr/sbin/lb, restartOnChangeOf: [file:/etc/lb.cfg], reloadOnChangeOf: [file:/etc/lb.key, file:/etc/lb.cfg, file:/etc/nowhere]}\n`),
    [
      ['SchemaViolation', 'spec.resources[2].service.reloadOnChangeOf[1]'],
      ['DanglingReference', 'spec.resources[2].service.reloadOnChangeOf[2]'],
    ],
  );
  t.deepEqual(loadProblems(`    - service: {name: lb, command: /usr/sbin/lb, reload: {command: [/home/me/reload]}}\n`), [
    ['PathOutsideAllowedRoots', 'spec.resources[0].service.reload.command[0]'],
  ]);
});

const haproxy = (reload: DesiredService['reload']): DesiredService =>
  service('haproxy', { command: '/usr/sbin/haproxy', args: ['-W', '-db'], reloadOnChangeOf: ['file:/etc/haproxy.cfg'], ...(reload ? { reload } : {}) });

test('systemd renders the declared reload as ExecReload: a signal to $MAINPID, or the command quoted like ExecStart', (t) => {
  const unit = (reload: DesiredService['reload']) => renderServiceDefinition(haproxy(reload), 'systemd').files[0]!.content;
  t.regex(unit({ signal: 'USR2' }), /\nExecStart="\/usr\/sbin\/haproxy" "-W" "-db"\nExecReload=\/bin\/kill -s USR2 \$MAINPID\nRestart=always\n/);
  t.regex(unit({ command: ['/usr/sbin/app', 'reload', '$HOME', '50%'] }), /\nExecReload="\/usr\/sbin\/app" "reload" "\$\$HOME" "50%%"\n/);
  t.notRegex(unit(undefined), /ExecReload/);
});

test('runit renders a reload other than HUP as control/h, which `sv hup` runs instead of sending HUP', (t) => {
  const files = (reload: DesiredService['reload']) => renderServiceDefinition(haproxy(reload), 'runit').files;
  t.deepEqual(files({ signal: 'HUP' }).map((f) => f.path), ['/etc/sv/haproxy/run']);
  const usr2 = files({ signal: 'USR2' });
  t.deepEqual(usr2.map((f) => [f.path, f.mode]), [['/etc/sv/haproxy/run', '0755'], ['/etc/sv/haproxy/control/h', '0755']]);
  t.is(usr2[1]!.content, `#!/bin/sh\nexec kill -s USR2 "$(cat '/etc/sv/haproxy/supervise/pid')"\n`);
  const command = files({ command: ['/usr/sbin/app', "it's"] })[1]!.content;
  t.is(command, "#!/bin/sh\nexec chpst -u 'root' env -i 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' '/usr/sbin/app' 'it'\\''s'\n");
  t.not(renderServiceDefinition(haproxy({ signal: 'USR1' }), 'runit').hash, renderServiceDefinition(haproxy({ signal: 'USR2' }), 'runit').hash);
});

const runitHash = (s: DesiredService) => renderServiceDefinition(s, 'runit').hash;

function lbSite(cfg: string, key: string, svc: DesiredService = service('lb', { restartOnChangeOf: ['file:/etc/lb.key'], reloadOnChangeOf: ['file:/etc/lb.cfg'], reload: { signal: 'USR2' } })) {
  return [resource(file('/etc/lb.cfg', cfg)), resource(file('/etc/lb.key', key)), resource(svc, ['n1/file:/etc/lb.cfg', 'n1/file:/etc/lb.key'])];
}
const applied = () => inventory({ n1: appliedNode(lbSite('a\n', 'k\n'), runitHash) });
const planOf = (resources: ReturnType<typeof lbSite>, inv = applied()) => makePlan(desired([node('n1', resources)]), inv, { registry });

test('a change of a reload cause reloads: its own action and id, carrying how, not disruptive, after its cause', (t) => {
  const plan = planOf(lbSite('b\n', 'k\n'));
  t.deepEqual(plan.changes.map((c) => [c.id, c.action, c.reason]), [
    ['n1/file:/etc/lb.cfg', 'update', 'content changed (sha256 87428fc52280 -> 0263829989b6)'],
    ['n1/service:lb#reload', 'reload', 'file:/etc/lb.cfg changed'],
  ]);
  const reload = plan.changes[1]!;
  t.deepEqual(reload.after, { name: 'lb', reload: { signal: 'USR2' } });
  t.false(reload.disruptive);
  t.is(reload.desiredHash, undefined, 'the recorded hash stays');
  t.true(reload.dependsOn.includes('n1/file:/etc/lb.cfg'));
  t.deepEqual(plan.rollout, [], 'a reload batches no node');
  t.deepEqual(plan.summary, { create: 0, update: 1, delete: 0, restart: 0, reload: 1, run: 0 });
  t.true(planGraph(plan.changes).ok);

  const text = renderText(plan, { registry, color: false });
  t.regex(text, /↺ reload service:lb \[main\/base\]\n/);
  t.regex(text, /reload: signal USR2/);
  t.regex(text, /\nPlan: 0 to create, 1 to update, 0 to delete, 0 to restart, 1 to reload, 0 to run\.\n/);
});

test('a change of a restart cause restarts only, whatever reload causes changed with it', (t) => {
  const both = planOf(lbSite('b\n', 'l\n'));
  t.deepEqual(both.changes.filter((c) => c.kind === 'service').map((c) => [c.id, c.action, c.reason]), [
    ['n1/service:lb#restart', 'restart', 'file:/etc/lb.cfg, file:/etc/lb.key changed'],
  ]);
  t.deepEqual(both.summary, { create: 0, update: 2, delete: 0, restart: 1, run: 0 }, 'no reload count when nothing reloads');
  t.true(both.changes.find((c) => c.action === 'restart')!.disruptive);
});

test('a restart cause triggered in a later round turns an earlier reload into a restart', (t) => {
  // service:a comes before service:z in a round; z restarts for lb.key, and a restarts when z does.
  const a = service('a', { restartOnChangeOf: ['service:z'], reloadOnChangeOf: ['file:/etc/lb.cfg'] });
  const z = service('z', { restartOnChangeOf: ['file:/etc/lb.key'] });
  const resources = [resource(file('/etc/lb.cfg', 'a\n')), resource(file('/etc/lb.key', 'k\n')), resource(a), resource(z)];
  const changed = [resource(file('/etc/lb.cfg', 'b\n')), resource(file('/etc/lb.key', 'l\n')), resource(a), resource(z)];
  const plan = makePlan(desired([node('n1', changed)]), inventory({ n1: appliedNode(resources, runitHash) }), { registry });
  t.deepEqual(plan.changes.filter((c) => c.kind === 'service').map((c) => [c.id, c.reason, c.dependsOn]), [
    ['n1/service:a#restart', 'file:/etc/lb.cfg, service:z changed', ['n1/file:/etc/lb.cfg', 'n1/service:z#restart']],
    ['n1/service:z#restart', 'file:/etc/lb.key changed', ['n1/file:/etc/lb.key']],
  ]);
  t.true(planGraph(plan.changes).ok);
});

test('a changed definition is an update only (it restarts); a service that is not running is started, never reloaded', (t) => {
  const changedDefinition = service('lb', { args: ['--new'], restartOnChangeOf: ['file:/etc/lb.key'], reloadOnChangeOf: ['file:/etc/lb.cfg'], reload: { signal: 'USR2' } });
  const plan = planOf(lbSite('b\n', 'k\n', changedDefinition));
  t.deepEqual(plan.changes.map((c) => [c.id, c.action]), [['n1/file:/etc/lb.cfg', 'update'], ['n1/service:lb', 'update']]);

  const down = applied();
  const seen = down.nodes.n1!.resources['service:lb']!;
  down.nodes.n1!.resources['service:lb'] = { ...seen, running: false } as typeof seen;
  const start = planOf(lbSite('b\n', 'k\n'), down);
  t.deepEqual(start.changes.filter((c) => c.kind === 'service').map((c) => [c.id, c.action, c.reason, c.dependsOn]), [
    ['n1/service:lb#restart', 'restart', 'not running', ['n1/file:/etc/lb.cfg']],
  ]);
});

test('what a crashed run owed a reloading service is planned as a restart: the record cannot tell an owed reload from an owed restart', (t) => {
  const owing = (inv: ReturnType<typeof applied>) => {
    const managed = inv.nodes.n1!.managed;
    managed['service:lb'] = { hash: managed['service:lb']!.hash, restartPending: true };
    return inv;
  };
  const reloadOnly = service('lb', { reloadOnChangeOf: ['file:/etc/lb.cfg', 'file:/etc/lb.key'] });
  const reloads = planOf(lbSite('a\n', 'k\n', reloadOnly), owing(inventory({ n1: appliedNode(lbSite('a\n', 'k\n', reloadOnly), runitHash) })));
  // An update of its definition (new args) owes a restart too, and a reload would not run the new definition.
  const why = 'restart or reload interrupted by a controller crash (a restart does what a reload would)';
  t.deepEqual(reloads.changes.map((c) => [c.id, c.action, c.reason]), [['n1/service:lb#restart', 'restart', why]]);
  const either = planOf(lbSite('a\n', 'k\n'), owing(applied()));
  t.deepEqual(either.changes.map((c) => [c.id, c.action, c.reason]), [['n1/service:lb#restart', 'restart', why]]);
});

test('apply counts reloads in their own column, shown when anything reloaded', (t) => {
  const changeSet = (action: 'reload' | 'restart'): ChangeSet => ({
    runId: 1,
    planHash: 'h',
    status: 'succeeded',
    results: [{ id: `n1/service:lb#${action}`, node: 'n1', key: 'service:lb', kind: 'service', action, outcome: 'applied' }],
    nodes: {},
    conditions: [],
  });
  t.like(summariseChangeSet(changeSet('reload'))[0]![1], { reloaded: 1, restarted: 0 });
  t.regex(renderChangeSetSummary(changeSet('reload')), /\nNODE +CREATED +UPDATED +DELETED +RESTARTED +RELOADED +RAN +FAILED +SKIPPED\nn1 +0 +0 +0 +0 +1 +0 +0 +0\n/);
  t.regex(renderChangeSetSummary(changeSet('restart')), /\nNODE +CREATED +UPDATED +DELETED +RESTARTED +RAN +FAILED +SKIPPED\nn1 +0 +0 +0 +1 +0 +0 +0\n/);
});
