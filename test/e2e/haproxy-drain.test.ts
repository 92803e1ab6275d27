/**
 * Draining through a real HAProxy's runtime API on real test hosts: node1 balances an HTTP service on node2
 * and node3; the service's module drains each member by putting its server into maintenance over the admin
 * socket (`socat`) on every load balancer (`on: {roles: [lb]}`: node1) before its batch restarts it, and puts it back once its gates (a local HTTP
 * check from node1, through curl) pass. HAProxy's own `show stat`, logged by the steps, shows the server in
 * MAINT while its batch runs and out of it after; the other member is never in maintenance at the same time.
 */
import test from 'ava';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { poll } from '../hosts/exec.js';
import { createE2ESite, type E2ESite } from './support/e2e-site.js';

let site: E2ESite | undefined;
const s = (): E2ESite => site ?? (() => { throw new Error('the e2e site did not come up'); })();

const SOCKET = '/var/lib/haproxy-lb/admin.sock';
/** The server's line of `show stat` (CSV: backend, server, ..., status in field 18), appended to a log on node1. */
const LOG_STATE = `echo "show stat" | socat stdio ${SOCKET} | grep "^web,$1," | cut -d, -f1,2,18 | sed "s/^/$2 /" >> /var/log/lb-state.log`;

const LB = `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: lb
spec:
  inputs:
    backends: {type: list}
    names: {type: list}
  resources:
    - directory: {path: /etc/haproxy-lb}
    - directory: {path: /var/lib/haproxy-lb}
    - file:
        path: /etc/haproxy-lb/haproxy.cfg
        content: |
          global
              stats socket ${SOCKET} mode 600 level admin
          defaults
              mode http
              timeout connect 2s
              timeout client 10s
              timeout server 10s
          frontend web
              bind {{ node.address }}:8000
              default_backend web
          backend web
          {%- for address in inputs.backends %}
              server {{ inputs.names[forloop.index0] }} {{ address }}:8080 check inter 1s
          {%- endfor %}
    - service:
        name: haproxy-lb
        command: /usr/sbin/haproxy
        args: ["-W", "-f", "/etc/haproxy-lb/haproxy.cfg", "-db"]
        restartOnChangeOf: [file:/etc/haproxy-lb/haproxy.cfg]
`;

const WEB = (version: string) => `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: web
spec:
  inputs:
    version: {type: string}
  resources:
    - directory: {path: /srv/web}
    - file: {path: /srv/web/version, content: "${version}\\n"}
    - service:
        name: web
        command: /usr/bin/python3
        args: [-m, http.server, --bind, "{{ node.address }}", --directory, /srv/web, "8080"]
        restartOnChangeOf: [file:/srv/web/version]
  health:
    - name: serves-version
      http:
        url: "http://{{ node.address }}:8080/version"
        body: "${version}"
        from: node1
      timeout: 2s
  # On every load balancer (here the one, node1), chosen by role.
  drain:
    - on: {roles: [lb]}
      argv: [sh, -c, 'echo "set server web/$1 state maint" | socat stdio ${SOCKET}', _, "{{ node.name }}"]
    - on: {roles: [lb]}
      argv: [sh, -c, '${LOG_STATE}', _, "{{ node.name }}", drained]
  undrain:
    - on: {roles: [lb]}
      argv: [sh, -c, 'echo "set server web/$1 state ready" | socat stdio ${SOCKET}', _, "{{ node.name }}"]
    - on: {roles: [lb]}
      argv: [sh, -c, '${LOG_STATE}', _, "{{ node.name }}", undrained]
`;

const CLUSTERS = `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: web
spec:
  nodes: {names: [node2, node3]}
  rollout: {progressDeadline: 20s}
  steps:
    - name: web
      module: web
      with:
        version: v
---
apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: lb
spec:
  nodes: {names: [node1]}
  steps:
    - name: lb
      module: lb
      with:
        backends: {value: []}
        names: {value: []}
`;

async function writeSite(dir: string, version: string): Promise<void> {
  const addresses = s().hosts.hosts.filter((h) => h.name !== 'node1');
  await writeFile(path.join(dir, 'modules/lb.yaml'), LB);
  await writeFile(path.join(dir, 'modules/web.yaml'), WEB(version));
  const clusters = CLUSTERS.replace('backends: {value: []}', `backends: {value: [${addresses.map((h) => h.address).join(', ')}]}`).replace('names: {value: []}', `names: {value: [${addresses.map((h) => h.name).join(', ')}]}`);
  await writeFile(path.join(dir, 'cluster.yaml'), clusters);
}

test.before(async () => {
  site = await createE2ESite({ count: 3 });
  await site.commit('haproxy on node1 in front of web on node2 and node3', async (dir) => {
    for (const gone of ['services', 'ca', 'templates', 'modules']) await rm(path.join(dir, gone), { recursive: true, force: true });
    await mkdir(path.join(dir, 'modules'));
    for (const [name, roles] of [['node1', ['lb']], ['node2', ['web']], ['node3', ['web']]] as const) {
      const file = path.join(dir, 'nodes', `${name}.yaml`);
      const doc = parseDocument(await readFile(file, 'utf8'));
      doc.setIn(['spec', 'roles'], [...roles]);
      await writeFile(file, doc.toString());
    }
    await writeSite(dir, 'v1');
  });
});

test.after.always(async () => {
  await site?.teardown();
});

const lbLog = (): Promise<string> => readFile(path.join(s().hosts.hosts[0]!.upperDir, 'var/log/lb-state.log'), 'utf8').catch(() => '');

test.serial('each member is in maintenance on the real HAProxy while its batch restarts it, and back once its gate passed', async (t) => {
  const first = await s().underlay(['apply', '--no-color']);
  t.is(first.code, 0, `${first.stdout}\n${first.stderr}`);
  // Both servers up behind haproxy before the rollout, so "undrained" below means back in service.
  await poll('haproxy sees both backends up', 30_000, async () => {
    const r = await s().hosts.run('node1', `echo "show stat" | socat stdio ${SOCKET} | grep -c "^web,node[23],.*,UP,"`);
    return r.stdout.trim() === '2' ? true : undefined;
  }, 250);

  await s().commit('web v2', (dir) => writeSite(dir, 'v2'));
  const second = await s().underlay(['apply', '--no-color']);
  t.is(second.code, 0, `${second.stdout}\n${second.stderr}`);
  const lines = (await lbLog()).trim().split('\n');
  t.is(lines.length, 4, lines.join('\n'));
  t.regex(lines[0]!, /^drained web,node2,MAINT$/);
  t.regex(lines[1]!, /^undrained web,node2,(UP|DOWN)/);
  t.notRegex(lines[1]!, /MAINT/);
  t.regex(lines[2]!, /^drained web,node3,MAINT$/);
  t.regex(lines[3]!, /^undrained web,node3,/);
  t.notRegex(lines[3]!, /MAINT/);
  t.regex(second.stdout, /rollout web batch 1 \(node2\): healthy[\s\S]*rollout web batch 2 \(node3\): healthy/);
});
