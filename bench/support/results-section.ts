/** Rewrites one `## name` section of bench/RESULTS.md (appended at the end the first time), leaving the others. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const RESULTS = path.resolve(import.meta.dirname, '..', 'RESULTS.md');

export async function writeResultsSection(name: string, section: string): Promise<void> {
  const text = await readFile(RESULTS, 'utf8');
  const start = text.search(new RegExp(`^## ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  const body = `${section.trimEnd()}\n`;
  if (start < 0) return writeFile(RESULTS, `${text.trimEnd()}\n\n${body}`);
  const next = text.slice(start + 1).search(/^## /m);
  await writeFile(RESULTS, next < 0 ? `${text.slice(0, start)}${body}` : `${text.slice(0, start)}${body}\n${text.slice(start + 1 + next)}`);
}
