/**
 * Sites are isolated in one real `underlay controller` process: beside `lab` (a real test host) it runs
 * `stuck`, whose Git server accepts the connection and never answers, and `far`, whose only node accepts
 * TCP and never speaks SSH. `lab` converges while both are still in their first reconcile, and readiness
 * does not wait for them once they gave up (a dead source shows in that site's status). The logs carry
 * one line per reconcile and per change, and no secret of the fixture.
 */
import test from 'ava';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { git } from './support/e2e-site.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { API_TOKEN, startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const site = useOneNodeSite();

/** A TCP server that accepts and then says nothing, holding every connection until closed. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

let controller: ControllerProcess | undefined;
const servers: { close(): Promise<void> }[] = [];
test.after.always(async () => {
  await controller?.stop('SIGKILL');
  for (const s of servers) await s.close();
});

/** A copy of the lab repository as site `far`, its node at the silent server. */
async function farRepository(port: number): Promise<string> {
  const dir = path.join(site().repoDir, '..', 'far');
  await rm(dir, { recursive: true, force: true });
  await cp(site().repoDir, dir, { recursive: true });
  const siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, (await readFile(siteFile, 'utf8')).replace('name: lab', 'name: far'));
  const nodeFile = path.join(dir, 'nodes/node1.yaml');
  const node = (await readFile(nodeFile, 'utf8')).replace(/address: \S+/, 'address: 127.0.0.1').replace('  ssh:\n', `  ssh:\n    port: ${port}\n`);
  await writeFile(nodeFile, node);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'far: its node never answers');
  return dir;
}

interface SiteView {
  name: string;
  attempted: boolean;
  reconciling: boolean;
  lastAppliedRevision: string | null;
  conditions: { type: string; status: string; reason: string; message: string }[];
}

test.serial('a site with a hanging source and one with a dead node do not delay another; readiness does not wait for them once they gave up', async (t) => {
  const [gitServer, sshServer] = [await silentServer(), await silentServer()];
  servers.push(gitServer, sshServer);
  const far = await farRepository(sshServer.port);
  const head = await git(site().repoDir, 'rev-parse', 'HEAD');
  const config = await writeControllerConfig(
    site(),
    [
      '  - name: stuck',
      `    source: {repository: "http://127.0.0.1:${gitServer.port}/site.git", timeout: 1m}`,
      '  - name: far',
      `    source: {repository: ${far}}`,
      '  - name: lab',
      `    source: {repository: ${site().repoDir}, ref: main}`,
    ].join('\n'),
  );
  controller = startController(config);
  const sites = async (): Promise<Record<string, SiteView>> => {
    const body = (await controller!.api('GET', '/api/v1/sites')).body as { sites: SiteView[] };
    return Object.fromEntries(body.sites.map((s) => [s.name, s]));
  };
  await controller.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === head, 'lab applied');
  const seen = await sites();
  t.like(seen.lab, { attempted: true, lastAppliedRevision: head });
  t.like(seen.stuck, { attempted: false, reconciling: true }, 'the hanging source is still being read');
  t.like(seen.far, { attempted: false, reconciling: true }, 'the dead node is still being connected to');
  t.is((await fetch(`${String(controller.logs.find((l) => l.msg === 'API listening')?.api)}/readyz`)).status, 503);

  // Both give up in the end (the transport's connect attempts, the source's timeout): the controller is
  // ready, and each failing site says why in its own status.
  await controller.waitForApi('/readyz', (b) => b.ready === true, 'the controller ready');
  const after = await sites();
  // The HTTP client or the source's timeout (site-reconcile.test.ts), whichever gives up first.
  t.like(after.stuck?.conditions.find((c) => c.type === 'Ready'), { status: 'False' });
  t.like((await controller.api('GET', '/api/v1/sites/stuck')).body.lastReconcile, { outcome: 'fail', step: 'fetch-revision' });
  t.like(after.far?.conditions.find((c) => c.type === 'Ready'), { status: 'False' });

  const lines = controller.logs.filter((l) => l.site === 'lab');
  t.true(lines.some((l) => l.msg === 'reconciled' && l.outcome === 'done' && l.revision === head), 'one line per reconcile');
  t.true(lines.some((l) => l.msg === 'change' && l.change === 'node1/file:/etc/motd' && l.outcome === 'applied'), 'one line per change');
  const secrets = [API_TOKEN, ...(await readFile(path.join(site().secretsDir, 'ssh-client-key'), 'utf8')).split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))];
  for (const secret of secrets) t.false(controller.output().includes(secret), 'no secret of the fixture in the logs');
});
