import test from 'ava';
import { siteJsonSchema } from './json-schema.js';
import { DNSZoneSpec, NodeSpec, SiteSpec } from './schema.js';

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; minimum?: number; maximum?: number; type?: string };

/** Every property named `port` anywhere in the published schema, by its path. */
function portFields(schema: JsonSchema, path = ''): [string, JsonSchema][] {
  const out: [string, JsonSchema][] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (/port$/i.test(key)) out.push([`${path}.${key}`, child]);
    out.push(...portFields(child, `${path}.${key}`));
  }
  for (const child of [...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.items ? [schema.items] : [])]) out.push(...portFields(child, path));
  return out;
}

/**
 * Ports that may also be a template (a health gate's `tcp.port: "{{ inputs.port }}"`): resolve holds the
 * rendered value to 1-65535 (controller/resolve/render-gates.ts). Every other port is the integer alone.
 */
const TEMPLATED_PORTS = new Set(['.spec.rollout.gates.tcp.port', '.spec.health.tcp.port']);

test('every port field of the format is an integer 1-65535 (or, where the format says so, a template rendered to one)', (t) => {
  const ports = portFields(siteJsonSchema() as JsonSchema);
  t.true(ports.length >= 3, ports.map(([p]) => p).join(', '));
  for (const [path, schema] of ports) {
    const integer = TEMPLATED_PORTS.has(path) ? schema.anyOf?.find((s) => s.type === 'integer') : schema;
    if (TEMPLATED_PORTS.has(path)) t.deepEqual(schema.anyOf?.map((s) => s.type).sort(), ['integer', 'string'], path);
    t.deepEqual([integer?.type, integer?.minimum, integer?.maximum], ['integer', 1, 65535], path);
  }
});

test('ports out of range are refused in each kind that has one', (t) => {
  const server = (port: number) => ({ zone: 'lab.example.net', server: { address: '10.0.0.53', port }, tsigKeySecret: 'k' });
  for (const port of [70000, -1, 0, 65536, 53.5]) {
    t.false(DNSZoneSpec.safeParse(server(port)).success, `DNSZone server port ${port}`);
    t.false(NodeSpec.safeParse({ address: '10.0.0.1', ssh: { hostKey: 'ssh-ed25519 AAAA', port } }).success, `Node ssh port ${port}`);
    t.false(SiteSpec.safeParse({ ssh: { port } }).success, `Site ssh port ${port}`);
  }
  for (const port of [1, 53, 65535]) t.true(DNSZoneSpec.safeParse(server(port)).success, `DNSZone server port ${port}`);
});
