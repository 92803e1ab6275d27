import test from 'ava';
import { createHash } from 'node:crypto';
import { emptyInventory } from '../../controller/model/observed.js';
import type { ObservedFile } from './schema.js';
import { PRIVATE } from '../../test/support/key-material.js';
import { loadSpec } from '../../controller/load/load-spec.js';
import { module, revisionOf, validSite } from '../../test/support/site-files.js';
import { fileContentMismatches, makePlan, planHash } from '../../controller/plan/make-plan.js';
import { renderJson } from '../../controller/plan/render-json.js';
import { renderMarkdown } from '../../controller/plan/render-markdown.js';
import { renderText } from '../../controller/plan/render-text.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import { binaryFile, desired, file, hashOf, inventory, node, resource } from '../../test/support/build-desired.js';
import { registry } from '../registry.js';

/** Every byte value, NUL and 0xFF included, and a sequence that is not UTF-8. */
const BYTES = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0a, 0x0d]), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const siteWith = (fileYaml: string) => ({
  ...validSite(),
  'modules/blob.yaml': module('blob', `  resources:\n    - file:\n${fileYaml}`),
  'clusters/blob.yaml': `apiVersion: underlay.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: blob\nspec:\n  nodes: {}\n  steps:\n    - name: blob\n      module: blob\n`,
});
const problems = (files: ReturnType<typeof siteWith>) => loadSpec(revisionOf(files)).diagnostics.map((d) => [d.code, d.location?.file, d.location?.line, d.field]);

test('contentBase64 resolves to the exact bytes: canonical base64, sha256 and size of the bytes', (t) => {
  const wrapped = (BYTES.toString('base64').match(/.{1,60}/g) ?? []).join('\n          ');
  const { spec, diagnostics } = loadSpec(revisionOf(siteWith(`        path: /usr/local/share/blob.bin\n        mode: "0600"\n        contentBase64: |\n          ${wrapped}\n`)));
  t.deepEqual(diagnostics, []);
  const r = resolveSite(spec!, {}, {});
  const blob = r.desired?.nodes[0]?.resources.find((x) => x.key === 'file:/usr/local/share/blob.bin')?.spec;
  t.deepEqual(blob, { kind: 'file', path: '/usr/local/share/blob.bin', contentBase64: BYTES.toString('base64'), sha256: sha(BYTES), mode: '0600', owner: 'root', group: 'root' });
});

test('contentBase64 must be base64, and is one of exactly three ways to give content', (t) => {
  t.deepEqual(problems(siteWith('        path: /etc/x\n        contentBase64: "not base64!"\n')), [['SchemaViolation', 'modules/blob.yaml', 9, 'spec.resources[0].file.contentBase64']]);
  t.deepEqual(problems(siteWith('        path: /etc/x\n        contentBase64: "QUJD="\n')), [['SchemaViolation', 'modules/blob.yaml', 9, 'spec.resources[0].file.contentBase64']]);
  t.deepEqual(problems(siteWith('        path: /etc/x\n        content: "x"\n        contentBase64: "QUJD"\n')), [['SchemaViolation', 'modules/blob.yaml', 7, 'spec.resources[0].file']]);
  t.deepEqual(problems(siteWith('        path: /etc/x\n        template: ../templates/motd.liquid\n        contentBase64: "QUJD"\n')), [['SchemaViolation', 'modules/blob.yaml', 7, 'spec.resources[0].file']]);
});

test('the bytes of contentBase64 are scanned for keys, on one line or wrapped, in UTF-8 or UTF-16', (t) => {
  const oneLine = Buffer.from(PRIVATE.ec).toString('base64');
  t.deepEqual(problems(siteWith(`        path: /etc/x\n        contentBase64: ${oneLine}\n`)), [['PrivateKeyMaterial', 'modules/blob.yaml', 9, undefined]]);
  const utf16 = (Buffer.from(`\ufeff${PRIVATE.rsa}`, 'utf16le').toString('base64').match(/.{1,76}/g) ?? []).join('\n          ');
  t.deepEqual(problems(siteWith(`        path: /etc/x\n        contentBase64: >-\n          ${utf16}\n`)), [['PrivateKeyMaterial', 'modules/blob.yaml', 10, undefined]]);
});

test('the same bytes as text or as contentBase64 are the same resource to the managed record', (t) => {
  const text = 'port = 80\n';
  t.is(hashOf(binaryFile('/etc/a', Buffer.from(text))), hashOf(file('/etc/a', text)));
  t.not(hashOf(binaryFile('/etc/a', BYTES)), hashOf(file('/etc/a', text)));
});

const binaryPlan = () => makePlan(desired([node('n1', [resource(binaryFile('/srv/blob.bin', BYTES))])]), emptyInventory(), { registry });

test('plans show binary content as size and sha256, never as a diff, in text, Markdown and JSON', (t) => {
  const plan = binaryPlan();
  const summary = `mode 0644, owner root:root, binary, ${BYTES.length} bytes, sha256 ${sha(BYTES).slice(0, 12)}`;
  const text = renderText(plan, { registry, color: false });
  t.true(text.includes(`  + create file:/srv/blob.bin [main/base]\n      not in the inventory (assumed missing)\n      ${summary}\n\nPlan:`), text);
  const md = renderMarkdown(plan, { registry });
  t.true(md.includes(`\`\`\`diff\n# ${summary}\n\`\`\``), md);
  const json = JSON.parse(renderJson(plan)) as { changes: { after: Record<string, unknown> }[] };
  t.like(json.changes[0]!.after, { contentBase64: BYTES.toString('base64'), sha256: sha(BYTES), size: BYTES.length });
  t.false('content' in json.changes[0]!.after);

  const seen: ObservedFile = { kind: 'file', path: '/srv/blob.bin', exists: true, sha256: sha(Buffer.from('old\n')), size: 4, mode: '0644', owner: 'root', group: 'root', content: 'old\n' };
  const update = makePlan(desired([node('n1', [resource(binaryFile('/srv/blob.bin', BYTES))])]), inventory({ n1: { reachable: true, facts: {}, managed: { 'file:/srv/blob.bin': { hash: 'h' } }, resources: { 'file:/srv/blob.bin': seen } } }), { registry });
  const updated = renderText(update, { registry, color: false });
  t.true(updated.includes(`      sha256 ${sha(Buffer.from('old\n')).slice(0, 12)} (4 bytes) -> binary, ${BYTES.length} bytes, sha256 ${sha(BYTES).slice(0, 12)}\n      mode 0644, owner root:root\n`), updated);
  t.false(updated.includes('-old'), 'no diff against the old text');
});

test('the plan hash binds contentBase64 through its sha256, and a saved plan with edited bytes is refused', (t) => {
  const plan = binaryPlan();
  t.deepEqual(fileContentMismatches(plan), []);
  const edited = { ...plan, changes: plan.changes.map((c) => ({ ...c, after: { ...c.after, contentBase64: Buffer.from('evil').toString('base64') } })) };
  t.is(planHash(edited), plan.hash);
  t.deepEqual(fileContentMismatches(edited), ['n1/file:/srv/blob.bin']);
  const other = makePlan(desired([node('n1', [resource(binaryFile('/srv/blob.bin', Buffer.from('other')))])]), emptyInventory(), { registry });
  t.not(other.hash, plan.hash);
});
