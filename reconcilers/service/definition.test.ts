import test from 'ava';
import { renderServiceDefinition, definitionHash } from './definition.js';
import { service } from '../../test/support/build-desired.js';

const tricky = service('app', {
  command: '/opt/app/bin/app',
  args: ["it's", '$HOME', '100%', 'a "b" \\c'],
  environment: { GREETING: "hello 'world'", A: '1' },
  user: 'app',
});

test('runit run script single-quotes every value with a clean environment', (t) => {
  const d = renderServiceDefinition(tricky, 'runit');
  t.deepEqual(d.files.map((f) => [f.path, f.mode]), [['/etc/sv/app/run', '0755']]);
  t.is(
    d.files[0]!.content,
    "#!/bin/sh\nexec 2>&1\nexec chpst -u 'app' env -i 'A=1' 'GREETING=hello '\\''world'\\''' " +
      "'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' '/opt/app/bin/app' 'it'\\''s' '$HOME' '100%' 'a \"b\" \\c'\n",
  );
  t.deepEqual(d.links, [{ path: '/etc/service/app', target: '/etc/sv/app' }]);
});

test('runit: restart never gets a finish script that keeps it down; disabled has no link', (t) => {
  const d = renderServiceDefinition(service('once', { restart: 'never', enabled: false }), 'runit');
  t.deepEqual(d.files.map((f) => f.path), ['/etc/sv/once/run', '/etc/sv/once/finish']);
  t.regex(d.files[1]!.content, /sv down '\/etc\/sv\/once'/);
  t.deepEqual(d.links, []);
});

test('systemd unit uses systemd quoting: $ doubled in ExecStart only, % doubled everywhere', (t) => {
  const d = renderServiceDefinition(tricky, 'systemd');
  const unit = d.files[0]!;
  t.is(unit.path, '/etc/systemd/system/app.service');
  t.true(unit.content.includes('ExecStart="/opt/app/bin/app" "it\'s" "$$HOME" "100%%" "a \\"b\\" \\\\c"\n'));
  t.true(unit.content.includes('Environment="GREETING=hello \'world\'"\n'));
  t.true(unit.content.includes('User=app\nEnvironment="A=1"'));
  t.true(unit.content.includes('Restart=always\n\n[Install]\nWantedBy=multi-user.target\n'));
});

test('the hash covers the files and changes with any of them', (t) => {
  const a = renderServiceDefinition(tricky, 'runit');
  t.is(a.hash, definitionHash([...a.files].reverse()));
  t.not(a.hash, renderServiceDefinition({ ...tricky, args: ['x'] }, 'runit').hash);
  t.not(renderServiceDefinition(tricky, 'systemd').hash, renderServiceDefinition({ ...tricky, restart: 'never' }, 'systemd').hash);
});
