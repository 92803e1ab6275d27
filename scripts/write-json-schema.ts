/**
 * Regenerates docs/site.schema.json and crds/*.yaml from the zod model:
 *   npx tsx scripts/write-json-schema.ts
 * The drift test fails until the committed files equal what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrds, renderSiteJsonSchema } from '../controller/spec/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, 'docs', 'site.schema.json'), renderSiteJsonSchema());
mkdirSync(join(root, 'crds'), { recursive: true });
for (const [file, text] of Object.entries(renderCrds())) writeFileSync(join(root, 'crds', file), text);
