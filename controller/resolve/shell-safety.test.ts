import test from 'ava';
import { hasControlBreak, shellScripts, unsafeArgvValues, unsafeShellValues, type RenderedArgument } from './shell-safety.js';

const scripts = (argv: string[]): number[] => [...shellScripts(argv).keys()];

test('finds the script of sh -c and its variants', (t) => {
  t.deepEqual(scripts(['sh', '-c', 'echo hi']), [2]);
  t.deepEqual(scripts(['/bin/bash', '-e', '-o', 'pipefail', '-c', 'x', '_', 'arg']), [5]);
  t.deepEqual(scripts(['/usr/bin/dash', '-ec', 'x']), [2]);
  t.deepEqual(scripts(['busybox', 'sh', '-c', 'x']), [3]);
  t.deepEqual(scripts(['zsh', '-c', 'x']), [2]);
  t.deepEqual(scripts(['ksh', '-c', 'x']), [2]);
});

test('finds the script behind wrappers and past long options', (t) => {
  t.deepEqual(scripts(['/usr/bin/env', 'sh', '-c', 'x']), [3]);
  t.deepEqual(scripts(['sudo', '-u', 'app', 'sh', '-c', 'x']), [5]);
  t.deepEqual(scripts(['bash', '--noprofile', '--norc', '-c', 'x']), [4]);
  t.deepEqual(scripts(['bash', '--rcfile', '/etc/x', '-c', 'x']), [4]);
  t.deepEqual(scripts(['bash', '-c', '--', 'x']), [3]);
  t.deepEqual(scripts(['bash', '-eo', 'pipefail', '-c', 'x']), [4]);
  t.deepEqual(scripts(['find', '/srv', '-exec', 'sh', '-c', 'x', '_', '{}', ';']), [5]);
  t.deepEqual(scripts(['xargs', '-0', '/bin/bash', '-c', 'x']), [4]);
  t.deepEqual(scripts(['nsenter', '-t', '1', '-m', 'chroot', '/host', 'sh', '-c', 'x']), [8]);
});

test('programs that are not shells, or shells without -c, have no script', (t) => {
  t.deepEqual(scripts(['/usr/bin/etcd', '-c', 'x']), []);
  t.deepEqual(scripts(['sh', '/opt/script.sh', '-c']), []);
  t.deepEqual(scripts(['busybox', 'wget', '-c', 'x']), []);
  t.deepEqual(scripts(['sh', '-c']), []);
  t.deepEqual(scripts(['apt-get', 'install', 'bash']), []);
});

test('only plain words are safe to splice', (t) => {
  t.deepEqual(unsafeShellValues(['10.0.0.1', 'http://a:1/x', 'a=b,c@d%e+f', 'a b', 'x;y', '$(id)', '`id`', "it's", 'a*']), ['a b', 'x;y', '$(id)', '`id`', "it's", 'a*']);
});

const literal = (text: string): RenderedArgument => ({ text, interpolated: [] });
const value = (v: string): RenderedArgument => ({ text: v, interpolated: [v] });
const spliced = (before: string, v: string, after = ''): RenderedArgument => ({ text: `${before}${v}${after}`, interpolated: [v] });
const problems = (argv: RenderedArgument[]) => unsafeArgvValues(argv).map((f) => [f.index, f.problem]);

const HOSTILE = 'x; reboot';

test('a value with metacharacters spliced into any element is refused, whatever the program', (t) => {
  const forms: RenderedArgument[][] = [
    [literal('/usr/bin/env'), literal('sh'), literal('-c'), spliced('mkdir -p ', HOSTILE)],
    [literal('sudo'), literal('-n'), literal('sh'), literal('-c'), spliced('mkdir -p ', HOSTILE)],
    [literal('bash'), literal('--noprofile'), literal('--norc'), literal('-c'), spliced('mkdir -p ', HOSTILE)],
    [literal('env'), spliced('-S sh -c ', HOSTILE)],
    [literal('flock'), literal('/run/lock/x'), literal('--command'), spliced('mkdir ', HOSTILE)],
    [literal('watch'), spliced('ls ', HOSTILE)],
    [literal('ssh'), literal('db1'), spliced('ls ', HOSTILE)],
    [literal('script'), literal('-q'), literal('-c'), spliced('ls ', HOSTILE), literal('/dev/null')],
    [literal('xargs'), literal('-I{}'), literal('sh'), literal('-c'), spliced('cp {} ', HOSTILE)],
    [literal('/usr/local/bin/tool'), spliced('--name=', HOSTILE)],
  ];
  for (const argv of forms) t.deepEqual(problems(argv).map(([, p]) => p), [argv.some((a) => a.text === '-c' || a.text === '--command') ? 'code' : 'spliced'], argv.map((a) => a.text).join(' '));
});

test('a whole-element value is data, also behind wrappers and as a positional parameter of a literal script', (t) => {
  t.deepEqual(problems([literal('/bin/mkdir'), literal('-p'), value('/srv/my data')]), []);
  t.deepEqual(problems([literal('env'), literal('sh'), literal('-c'), literal('mkdir -p "$1"'), literal('_'), value(HOSTILE)]), []);
  t.deepEqual(problems([literal('python3'), literal('-c'), literal('import sys; print(sys.argv[1])'), value(HOSTILE)]), []);
  t.deepEqual(problems([literal('perl'), literal('-e'), literal('print $ARGV[0]'), value(HOSTILE)]), []);
  t.deepEqual(problems([literal('find'), literal('/srv'), literal('-name'), value('*.log'), literal('-delete')]), []);
  t.deepEqual(problems([literal('useradd'), literal('--comment'), value('Ada Lovelace'), literal('ada')]), []);
});

test('a value where the literal elements make it code is refused, even a plain word', (t) => {
  t.deepEqual(problems([literal('sh'), literal('-c'), value('reboot')]), [[2, 'code']]);
  t.deepEqual(problems([literal('/usr/bin/env'), literal('bash'), literal('-c'), literal('--'), value(HOSTILE)]), [[4, 'code']]);
  t.deepEqual(problems([literal('python3'), literal('-c'), value('__import__("os").system("reboot")')]), [[2, 'code']]);
  t.deepEqual(problems([literal('perl'), literal('-e'), value('unlink+q+/etc/passwd+')]), [[2, 'code']]);
  t.deepEqual(problems([literal('perl'), literal('-ne'), spliced('print if /', 'x', '/')]), [[2, 'code']]);
  t.deepEqual(problems([literal('find'), literal('/srv'), literal('-exec'), value('reboot'), literal(';')]), [[3, 'code']]);
  t.deepEqual(problems([literal('env'), literal('-S'), value('sh -c reboot')]), [[2, 'code']]);
  t.deepEqual(problems([literal('sh'), literal('-c'), spliced('mkdir -p ', '/srv/data')]), [[2, 'code']]);
});

test('code positions are found in the rendered text, so a templated flag or shell counts too', (t) => {
  t.deepEqual(problems([literal('python3'), value('-c'), value('print(1)')]), [[2, 'code']]);
  t.deepEqual(problems([literal('env'), value('bash'), literal('-c'), value('id')]), [[3, 'code']]);
});

test('elements before `from` (a service command) are not checked, but still make later ones code', (t) => {
  t.deepEqual(unsafeArgvValues([value('a b'), literal('-c'), value('id')], 1).map((f) => f.index), [2]);
});

test('line breaks and NUL are refused', (t) => {
  t.true(hasControlBreak('a\nb'));
  t.true(hasControlBreak('a\0b'));
  t.false(hasControlBreak('a b'));
});
