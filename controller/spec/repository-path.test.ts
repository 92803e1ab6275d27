import test from 'ava';
import { joinRepoPath, referencedFilePath } from './repository-path.js';

test('a referenced file is relative to the document that names it, normalised', (t) => {
  t.is(referencedFilePath('modules/etcd/module.yaml', 'etcd.conf.tmpl'), 'modules/etcd/etcd.conf.tmpl');
  t.is(referencedFilePath('modules/etcd/module.yaml', './t/../shared//x.tmpl'), 'modules/etcd/shared/x.tmpl');
  t.is(referencedFilePath('modules/etcd/module.yaml', '../../top.tmpl'), 'top.tmpl');
  t.is(referencedFilePath('site.yaml', 'x.tmpl'), 'x.tmpl');
});

test('a path that climbs above the repository root, or is absolute, is refused, never clamped', (t) => {
  t.is(referencedFilePath('modules/m.yaml', '../../etc/passwd'), null);
  t.is(referencedFilePath('site.yaml', '../x'), null);
  t.is(referencedFilePath('modules/m.yaml', '/etc/passwd'), null);
  t.is(joinRepoPath('', '..'), null);
  t.is(joinRepoPath('a/b', '../../..'), null);
  t.is(joinRepoPath('a/b', '../..'), '');
});
