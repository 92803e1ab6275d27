import test from 'ava';
import { hasControlBreak, shellScriptIndex, unsafeShellValues } from './shell-safety.js';

test('finds the script of sh -c and its variants', (t) => {
  t.is(shellScriptIndex(['sh', '-c', 'echo hi']), 2);
  t.is(shellScriptIndex(['/bin/bash', '-e', '-o', 'pipefail', '-c', 'x', '_', 'arg']), 5);
  t.is(shellScriptIndex(['/usr/bin/dash', '-ec', 'x']), 2);
  t.is(shellScriptIndex(['busybox', 'sh', '-c', 'x']), 3);
  t.is(shellScriptIndex(['zsh', '-c', 'x']), 2);
  t.is(shellScriptIndex(['ksh', '-c', 'x']), 2);
});

test('programs that are not shells, or shells without -c, have no script', (t) => {
  t.is(shellScriptIndex(['/usr/bin/etcd', '-c', 'x']), -1);
  t.is(shellScriptIndex(['sh', '/opt/script.sh', '-c']), -1);
  t.is(shellScriptIndex(['busybox', 'wget', '-c', 'x']), -1);
  t.is(shellScriptIndex(['sh', '-c']), -1);
});

test('only plain words are safe to splice', (t) => {
  t.deepEqual(unsafeShellValues(['10.0.0.1', 'http://a:1/x', 'a=b,c@d%e+f', 'a b', 'x;y', '$(id)', '`id`', "it's", 'a*']), ['a b', 'x;y', '$(id)', '`id`', "it's", 'a*']);
});

test('line breaks and NUL are refused', (t) => {
  t.true(hasControlBreak('a\nb'));
  t.true(hasControlBreak('a\0b'));
  t.false(hasControlBreak('a b'));
});
