import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { quoteArg, shellCommand } from './shell-quote.js';

const run = promisify(execFile);

const hostile = ["'", '"', "it's", "''", '$(id)', '`id`', ';rm -rf /tmp/x', '&&', '|', 'a\nb', '\t', '*', '~', '-n', '', '\\', 'ü✓🚀'];

test('quoted words are read back verbatim by sh (dash) and bash', async (t) => {
  for (const shell of ['/bin/sh', '/bin/bash']) {
    const { stdout } = await run(shell, ['-c', shellCommand(['printf', '%s\\0', ...hostile])], { encoding: 'utf8' });
    t.deepEqual(stdout.split('\0').slice(0, -1), hostile, shell);
  }
});

test('every argument is single-quoted, quotes spliced as quote-backslash-quote', (t) => {
  t.is(quoteArg(''), "''");
  t.is(quoteArg("it's"), `'it'\\''s'`);
  t.is(shellCommand(['ls', '-l']), "'ls' '-l'");
});

test('NUL and empty argv are rejected', (t) => {
  t.throws(() => quoteArg('a\0b'), { instanceOf: TypeError });
  t.throws(() => shellCommand([]), { instanceOf: TypeError });
});
