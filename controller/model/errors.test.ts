import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, isUnderlayError, toErrorRecord, UnderlayError, type ErrorCode } from './errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

class PoolGone extends UnderlayError<{ pool: string }> {
  constructor(pool: string) {
    super({ code: 'RepoNotFound', message: `pool ${pool} is gone`, data: { pool }, cause: new Error('underneath') });
  }
}

test('an UnderlayError carries its code, the kind the code list gives it, its data and its cause', (t) => {
  const error = new PoolGone('lan');
  t.is(error.code, 'RepoNotFound');
  t.is(error.kind, 'user');
  t.deepEqual(error.data, { pool: 'lan' });
  t.is((error.cause as Error).message, 'underneath');
  t.is(error.name, 'PoolGone');
  t.true(error instanceof Error);
});

test('toErrorRecord keeps the code and message of an UnderlayError and turns anything else into an InternalError', (t) => {
  t.deepEqual(toErrorRecord(new PoolGone('lan')), { code: 'RepoNotFound', message: 'pool lan is gone', kind: 'user' });
  t.deepEqual(toErrorRecord(new TypeError('x is undefined')), { code: 'InternalError', message: 'x is undefined', kind: 'internal' });
  t.deepEqual(toErrorRecord('a string'), { code: 'InternalError', message: 'a string', kind: 'internal' });
  // An error with a code that is not ours is not mistaken for one.
  t.deepEqual(toErrorRecord(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })), { code: 'InternalError', message: 'database is locked', kind: 'internal' });
});

test('an error is recognised by its fields, also once it crossed a process boundary as plain data', (t) => {
  const crossed: unknown = JSON.parse(JSON.stringify({ code: 'Unreachable', message: 'node a unreachable', data: { node: 'a' } }));
  t.true(isUnderlayError(crossed));
  t.deepEqual(toErrorRecord(crossed), { code: 'Unreachable', message: 'node a unreachable', kind: 'node' });
  t.false(isUnderlayError({ code: 'NotACode', message: 'x' }));
  t.false(isUnderlayError({ code: 'Unreachable' }));
  t.false(isUnderlayError(null));
});

test('every error code is CamelCase, has a kind and says what it means', (t) => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    t.regex(code, /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/, code);
    t.true(['user', 'transient', 'node', 'internal'].includes(info.kind), code);
    t.true(info.description.length > 10, code);
  }
});

/** Product source (tests excluded), where codes are thrown and matched. */
function productSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return productSources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('every listed error code is used by the product, so the list never names a code nothing throws', (t) => {
  const self = join(root, 'controller/model/errors.ts');
  const sources = [...productSources(join(root, 'controller')), ...productSources(join(root, 'reconcilers'))].filter((f) => f !== self);
  // errors.ts itself only past the list: toErrorRecord produces InternalError.
  const own = readFileSync(self, 'utf8');
  const text = [own.slice(own.indexOf('export type ErrorCode')), ...sources.map((f) => readFileSync(f, 'utf8'))].join('\n');
  const unused = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => !text.includes(`'${code}'`));
  t.deepEqual(unused, [], `listed in ${relative(root, self)} but used nowhere`);
});

test("a system call's error (a file the CLI was given is missing) is IoFailed, a fact to report, not a bug", async (t) => {
  const missing = await readFile(join(root, 'no-such-file.json')).catch((error: unknown) => error);
  t.like(toErrorRecord(missing), { code: 'IoFailed', kind: 'user' });
  t.regex(toErrorRecord(missing).message, /ENOENT: no such file or directory, open '.*no-such-file\.json'/);
});
