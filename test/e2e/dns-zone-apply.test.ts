/**
 * DNS zones carried out by the real CLI on a real BIND (one BIND host for the file, two test hosts as the
 * site's nodes): records from cluster.dns (A, PTR in the reverse zone, a VIP's name, CNAME, SRV, TXT) land
 * with their ownership records and a re-plan is empty; a foreign record at a name Git wants stays untouched;
 * a hand edit is planned as an update that says so; upsert-only keeps a removed node's record and sync
 * deletes it with its ownership record; a zone that cannot be read plans nothing and exits 1; a REFUSED
 * update is reported with its zone, the server's answer and a stable code; SIGKILL between two DNS updates
 * and the next apply finishes; the TSIG key shows nowhere.
 */
import test from 'ava';
import { copyFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runOk } from '../hosts/exec.js';
import { startBindServer, type BindServer } from '../support/bind-server.js';
import { createE2ESite, type E2ESite } from './support/e2e-site.js';
import { applyKilled } from './support/one-node-site.js';

const ZONE = 'lab.example.net';
const READ_ONLY = 'ro.example.net';
let bind: BindServer | undefined;
let site: E2ESite | undefined;
let reverse = '';
const outputs: string[] = [];

const theSite = (): E2ESite => site ?? (() => { throw new Error('the e2e site did not come up'); })();
const theBind = (): BindServer => bind ?? (() => { throw new Error('BIND did not come up'); })();

function cluster(options: { nodes?: string[]; policy?: string } = {}): string {
  return `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: etcd
spec:
  nodes:
    names: [${(options.nodes ?? ['node1', 'node2']).join(', ')}]
  addresses:
    - {name: vip, pool: lab-vips}
  dns:
    zone: lab
    records:
      - {name: etcd, type: A, value: {address: vip}}
      - {name: api, type: CNAME, value: etcd}
      - {name: _etcd-client._tcp, type: SRV, value: "0 10 2379 etcd"}
      - {name: "@", type: TXT, value: "owner=platform-team"}
      - {name: www, type: A, value: 198.18.99.2}
  steps:
    - name: base
      module: base
      with:
        motd: {param: motd}
`;
}

function zones(server: string, options: { policy?: string; key?: string } = {}): string {
  const zone = (name: string, apex: string): string => `apiVersion: underlay.dev/v1alpha1
kind: DNSZone
metadata:
  name: ${name}
spec:
  zone: ${apex}
  server: {address: ${server}, port: 53}
  tsigKeySecret: ${options.key ?? 'lab-tsig'}
  ttl: 300
  policy: ${options.policy ?? 'sync'}
`;
  return [zone('lab', ZONE), zone('reverse', reverse)].join('---\n');
}

async function writeSite(dir: string, options: { nodes?: string[]; policy?: string; key?: string } = {}): Promise<void> {
  await writeFile(path.join(dir, 'cluster.yaml'), cluster(options));
  await writeFile(path.join(dir, 'services/zone.yaml'), zones(theBind().address, options));
}

const record = async (name: string, type: string): Promise<string> => (await theBind().dig(['+short', name, type])).trim();
async function underlay(args: string[]) {
  const r = await theSite().underlay(args[0] === 'plan' || args[0] === 'apply' ? [...args, '--no-color'] : args);
  outputs.push(r.stdout, r.stderr);
  return r;
}

test.before(async () => {
  site = await createE2ESite({ count: 2 });
  const [a, b, c] = site.hosts.hosts[0]!.address.split('.');
  reverse = `${c}.${b}.${a}.in-addr.arpa`;
  bind = await startBindServer({ zones: [ZONE, reverse, READ_ONLY], readOnlyZones: [READ_ONLY] });
  await copyFile(bind.keyFile, path.join(site.secretsDir, 'lab-tsig'));
  // Someone else's record where Git will want one: never underlay's to change.
  await bind.nsupdate(`update add www.${ZONE}. 300 IN A 198.18.99.1`);
  await site.commit('two nodes, their records, a VIP name, CNAME, SRV, TXT', async (dir) => {
    await rm(path.join(dir, 'nodes/node3.yaml'));
    await writeSite(dir);
  });
});
test.after.always(async () => {
  await site?.teardown();
  await bind?.teardown();
});

test.serial('an apply writes every record with its ownership record; a foreign record stays; a re-plan is empty', async (t) => {
  const [n1, n2] = theSite().hosts.hosts;
  const plan = await underlay(['plan']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /zone:lab: conflict: dns:lab\/www\.lab\.example\.net\.\/A is wanted by Git but not managed by underlay: left untouched/);
  const apply = await underlay(['apply']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.is(await record(`node1.${ZONE}`, 'A'), n1!.address);
  t.is(await record(`node2.${ZONE}`, 'A'), n2!.address);
  t.is((await theBind().dig(['+short', '-x', n1!.address])).trim(), `node1.${ZONE}.`);
  t.regex(await record(`etcd.${ZONE}`, 'A'), /^198\.18\.0\.1\d\d$/);
  t.is(await record(`api.${ZONE}`, 'CNAME'), `etcd.${ZONE}.`);
  t.is(await record(`_etcd-client._tcp.${ZONE}`, 'SRV'), `0 10 2379 etcd.${ZONE}.`);
  t.is(await record(ZONE, 'TXT'), '"owner=platform-team"');
  t.regex(await record(`_underlay-owner.a.node1.${ZONE}`, 'TXT'), /^"heritage=underlay,site=[a-z0-9-]+,value=[0-9a-f]{16}"$/);
  t.is(await record(`www.${ZONE}`, 'A'), '198.18.99.1', 'the foreign record is untouched');
  t.is(await record(`_underlay-owner.a.www.${ZONE}`, 'TXT'), '');
  const again = await underlay(['plan', '--detailed-exitcode']);
  t.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
});

test.serial('a record edited by hand is planned as an update that says so, and apply puts it back', async (t) => {
  const n1 = theSite().hosts.hosts[0]!;
  await theBind().nsupdate(`update delete node1.${ZONE}. A\nupdate add node1.${ZONE}. 300 IN A 198.18.77.7`);
  const plan = await underlay(['plan', '--detailed-exitcode']);
  t.is(plan.code, 2, plan.stderr);
  t.true(plan.stdout.includes(`value 198.18.77.7 -> ${n1.address}, edited outside underlay`), plan.stdout);
  t.is((await underlay(['apply'])).code, 0);
  t.is(await record(`node1.${ZONE}`, 'A'), n1.address);
});

test.serial('upsert-only keeps a removed node\'s record; sync deletes it and its ownership record', async (t) => {
  await theSite().commit('node2 out, upsert-only', (dir) => writeSite(dir, { nodes: ['node1'], policy: 'upsert-only' }));
  const kept = await underlay(['apply']);
  t.is(kept.code, 0, `${kept.stdout}\n${kept.stderr}`);
  t.regex(kept.stderr + kept.stdout, /zone lab is upsert-only: 1 record\(s\) no longer in Git are kept/);
  t.not(await record(`node2.${ZONE}`, 'A'), '');
  await theSite().commit('sync again', (dir) => writeSite(dir, { nodes: ['node1'] }));
  const synced = await underlay(['apply']);
  t.is(synced.code, 0, `${synced.stdout}\n${synced.stderr}`);
  t.is(await record(`node2.${ZONE}`, 'A'), '');
  t.is(await record(`_underlay-owner.a.node2.${ZONE}`, 'TXT'), '');
  t.is((await theBind().dig(['+short', '-x', theSite().hosts.hosts[1]!.address])).trim(), '', 'its PTR went too');
  t.not(await record(`node1.${ZONE}`, 'A'), '');
});

test.serial('a zone that cannot be read (a key the server does not know) plans no create and no delete, and exits 1', async (t) => {
  const wrong = await runOk(['tsig-keygen', '-a', 'hmac-sha256', 'not-known-to-bind.']);
  await writeFile(path.join(theSite().secretsDir, 'wrong-tsig'), wrong, { mode: 0o600 });
  await theSite().commit('a key BIND does not know, node2 back', (dir) => writeSite(dir, { key: 'wrong-tsig' }));
  const plan = await underlay(['plan', '--output', 'json']);
  t.is(plan.code, 1, plan.stderr);
  t.regex(plan.stderr, /DNS zone\(s\) could not be read.*zone:lab/);
  const changes = (JSON.parse(plan.stdout) as { changes: { target: { type: string } }[]; warnings: string[] }).changes;
  t.deepEqual(changes.filter((c) => c.target.type === 'zone'), [], 'nothing planned in an unread zone: not "everything is missing"');
  const inventory = await underlay(['inventory']);
  t.is(inventory.code, 1);
  t.regex(inventory.stderr, /warning: zone:lab could not be read: .*\[DnsZoneReadFailed\]/);
  const apply = await underlay(['apply']);
  t.is(apply.code, 1);
  t.not(await record(`node1.${ZONE}`, 'A'), '', 'nothing deleted');
  t.is(await record(`node2.${ZONE}`, 'A'), '', 'nothing created');
  await theSite().commit('the right key again', (dir) => writeSite(dir, { nodes: ['node1'] }));
});

test.serial('an update the server refuses is reported with the zone, the server\'s answer and a stable code', async (t) => {
  await theSite().commit('a zone that refuses updates', async (dir) => {
    await writeSite(dir, { nodes: ['node1'] });
    await writeFile(path.join(dir, 'services/zone.yaml'), (await readFile(path.join(dir, 'services/zone.yaml'), 'utf8')).replace(`zone: ${ZONE}`, `zone: ${READ_ONLY}`));
  });
  const apply = await underlay(['apply']);
  t.is(apply.code, 1);
  t.regex(apply.stdout + apply.stderr, /update of zone ro\.example\.net at [0-9.]+:53: the server answered REFUSED/);
  const status = await underlay(['status', '--output', 'json']);
  t.regex(status.stdout, /DnsUpdateRejected/);
  await theSite().commit('back to the lab zone', (dir) => writeSite(dir, { nodes: ['node1'] }));
  t.is((await underlay(['apply'])).code, 0);
});

test.serial('SIGKILL between two DNS updates: the next apply finishes, nothing lost or duplicated', async (t) => {
  // Two updates of zone lab in one apply: etcd2's name waits for its new allocation (a level of its own),
  // node2's record (back in the cluster) does not. One change at a time, the walk runs etcd2's level first
  // (first in plan order once its allocation is done), then node2's: the kill is between the two.
  await theSite().commit('node2 back, a second VIP name', async (dir) => {
    await writeSite(dir);
    const text = await readFile(path.join(dir, 'cluster.yaml'), 'utf8');
    await writeFile(path.join(dir, 'cluster.yaml'), text.replace('    - {name: vip, pool: lab-vips}', '    - {name: vip, pool: lab-vips}\n    - {name: vip2, pool: lab-vips}').replace('    records:', '    records:\n      - {name: etcd2, type: A, value: {address: vip2}}'));
  });
  const node2 = theSite().hosts.hosts[1]!.address;
  const killed = await applyKilled(theSite(), { faultPoint: 'before:zone:lab/dns:lab/node2.*' });
  t.regex(killed.reached ?? '', /^before zone:lab\/dns:lab\/node2/);
  t.regex(await record(`etcd2.${ZONE}`, 'A'), /^198\.18\.0\.1\d\d$/, 'the first update landed');
  t.is(await record(`node2.${ZONE}`, 'A'), '', 'the second did not');
  const apply = await underlay(['apply']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.is(await record(`node2.${ZONE}`, 'A'), node2);
  t.is((await record(`etcd2.${ZONE}`, 'A')).split('\n').length, 1, 'no duplicate');
  t.is((await underlay(['plan', '--detailed-exitcode'])).code, 0);
});

test.serial('the TSIG key is in no plan, output, journal or state file', async (t) => {
  const secret = /secret "([^"]+)"/.exec(await readFile(theBind().keyFile, 'utf8'))![1]!;
  const plan = await underlay(['plan', '--output', 'json']);
  const markdown = await underlay(['plan', '--output', 'markdown']);
  for (const text of [...outputs, plan.stdout, markdown.stdout]) t.false(text.includes(secret));
  for (const file of await readdir(theSite().stateDir, { recursive: true })) {
    const full = path.join(theSite().stateDir, file);
    const bytes = await readFile(full).catch(() => Buffer.alloc(0));
    t.false(bytes.includes(secret), `${file} holds the key`);
    t.false(bytes.includes(Buffer.from(secret, 'base64')), `${file} holds the key's bytes`);
  }
});
