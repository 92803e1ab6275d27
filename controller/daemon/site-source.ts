/**
 * What tells a site's worker that its source may have moved: the watch of a local repository's refs or the
 * poll of a remote's ref (controller/watch), chosen by where the source lives. A trigger only asks for a
 * reconcile; the reconcile reads the ref itself.
 */
import type { Timers } from '../clock.js';
import type { CliIO } from '../cli/io.js';
import { gitSshSettings } from '../cli/site-options.js';
import { durationSeconds } from '../spec/duration.js';
import { watchSiteSource, type SourceChange } from '../watch/site-source-watch.js';
import type { SourceWatch } from '../watch/source-watch.js';
import type { ControllerConfig, SiteConfig } from './controller-config.js';
import { siteLiveOptions } from './site-reconcile.js';

export interface SiteSourceOptions {
  controller: Pick<ControllerConfig, 'stateDir' | 'secretsDir'>;
  site: SiteConfig;
  io: CliIO;
  timers: Timers;
  random: () => number;
  onChange(how: SourceChange): void;
  onError(error: unknown): void;
}

export function watchSite(o: SiteSourceOptions): Promise<SourceWatch> {
  const options = siteLiveOptions(o.controller, o.site);
  return watchSiteSource(
    {
      repo: o.site.source.repository,
      ...(o.site.source.ref ? { ref: o.site.source.ref } : {}),
      pollEvery: durationSeconds(o.site.source.poll) * 1000,
      timers: o.timers,
      random: o.random,
      ssh: gitSshSettings(options, o.io),
      onError: o.onError,
    },
    o.onChange,
  );
}
