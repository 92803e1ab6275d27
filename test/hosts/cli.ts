// Test hosts for humans and scripts: `npx tsx test/hosts/cli.ts up --count 3 --state .state/hosts`.
import { parseArgs } from 'node:util';
import { attachTestHosts, cleanupStaleTestHosts, createTestHosts } from './harness.js';

const USAGE = `usage:
  cli.ts up --count N [--kind runit|systemd] [--prefix node] --state DIR   start nodes, print them as JSON, leave them running
  cli.ts down --state DIR                                                  stop and remove the nodes in DIR
  cli.ts cleanup                                                           remove leftovers of crashed runs`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      count: { type: 'string' },
      kind: { type: 'string' },
      prefix: { type: 'string' },
      state: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const cmd = positionals[0];
  if (values.help || !cmd) {
    console.log(USAGE);
    return cmd || values.help ? 0 : 2;
  }
  switch (cmd) {
    case 'up': {
      const count = Number(values.count ?? '1');
      const kind = values.kind ?? 'runit';
      if (kind !== 'runit' && kind !== 'systemd') throw new Error(`--kind must be runit or systemd, got ${kind}`);
      if (!values.state) throw new Error('up needs --state DIR');
      const started = Date.now();
      const c = await createTestHosts({ count, kind, namePrefix: values.prefix ?? 'node', stateDir: values.state, detached: true });
      const out = { stateDir: c.stateDir, clientKeyPath: c.clientKeyPath, hosts: c.hosts, elapsedMs: Date.now() - started };
      console.log(JSON.stringify(out, null, 2));
      return 0;
    }
    case 'down': {
      if (!values.state) throw new Error('down needs --state DIR');
      const c = await attachTestHosts(values.state);
      await c.teardown();
      return 0;
    }
    case 'cleanup':
      await cleanupStaleTestHosts();
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
