import test from 'ava';
import { execFileSync } from 'node:child_process';
import { parseTsigKeyFile, TsigKeyFileError } from './tsig-key-file.js';

test('a key made by tsig-keygen is read, and its secret is in no error about it', (t) => {
  const text = execFileSync('tsig-keygen', ['-a', 'hmac-sha256', 'underlay-test.'], { encoding: 'utf8' });
  const key = parseTsigKeyFile(text, 'dns-key');
  t.is(key.name, 'underlay-test.');
  t.is(key.algorithm, 'hmac-sha256');
  const secret = /secret "([^"]+)"/.exec(text)![1]!;
  for (const broken of [text.replace('hmac-sha256', 'hmac-md5'), text.replace('};\n', '}\n').replace(/};\s*$/, '}'), text.replace(secret, 'c2hvcnQ=')]) {
    const error = t.throws(() => parseTsigKeyFile(broken, 'dns-key'), { instanceOf: TsigKeyFileError });
    t.false(error!.message.includes(secret), error!.message);
    t.regex(error!.message, /dns-key/);
  }
});
