/**
 * The controller's webhook listener (`webhooks.listen`), apart from the API's: `POST /hooks/<site>` for every
 * site with `source.webhook`, checked by controller/watch/webhook-handler.ts. A verified push only asks the
 * site for a reconcile (which re-reads the ref); each delivery is counted by result. The sites' secrets are
 * read from the secret store when the listener starts and at every reload.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { DirectorySecretStore } from '../secrets/secret-store.js';
import type { DeliveryLog } from '../watch/delivery-log.js';
import { webhookHandler, type WebhookSite } from '../watch/webhook-handler.js';
import { startWebhookListener, type WebhookListener } from '../watch/webhook-listener.js';
import { listenAddress, type ControllerConfig } from './controller-config.js';
import type { ControllerMetrics } from './controller-metrics.js';

export interface WebhookReceiverOptions {
  clock: Clock;
  metrics: ControllerMetrics;
  logger: Logger;
  /** The site's secret store (its own, else the controller's). */
  secretsOf(site: ControllerConfig['sites'][number]): DirectorySecretStore;
  onPush(site: string): void;
  /** The site's log of accepted delivery ids (the controller's is its store's); in memory without it. */
  deliveryLog?: (site: string) => DeliveryLog;
}

export interface WebhookReceiver {
  url: string;
  /** Re-reads which sites receive webhooks, and their secrets (SIGHUP). */
  reload(config: ControllerConfig): Promise<void>;
  close(): Promise<void>;
}

async function webhookSites(config: ControllerConfig, o: WebhookReceiverOptions): Promise<WebhookSite[]> {
  const sites: WebhookSite[] = [];
  for (const site of config.sites) {
    const hook = site.source.webhook;
    if (!hook) continue;
    try {
      sites.push({ site: site.name, provider: hook.provider, secret: (await o.secretsOf(site).read(hook.secret)).toString('utf8').trim() });
    } catch (error) {
      // Without its secret a site refuses every delivery (401), rather than accepting unsigned ones.
      o.logger.error({ site: site.name, error: error instanceof Error ? error.message : String(error) }, 'the webhook secret cannot be read: deliveries are refused');
      sites.push({ site: site.name, provider: hook.provider, secret: '' });
    }
  }
  return sites;
}

export async function startWebhookReceiver(config: ControllerConfig, o: WebhookReceiverOptions): Promise<WebhookReceiver | undefined> {
  if (!config.webhooks) return undefined;
  let sites = await webhookSites(config, o);
  const handler = webhookHandler({
    sites: () => sites,
    clock: o.clock,
    ...(o.deliveryLog ? { deliveryLog: o.deliveryLog } : {}),
    onPush: (site) => {
      o.metrics.webhookRequests.inc({ site, result: 'accepted' });
      o.onPush(site);
    },
    onRefused: (site, reason) => o.metrics.webhookRequests.inc({ site: site ?? '', result: reason }),
  });
  const tls = config.webhooks.tls ? { cert: await readFile(config.webhooks.tls.cert, 'utf8'), key: await readFile(config.webhooks.tls.key, 'utf8') } : undefined;
  const listener: WebhookListener = await startWebhookListener({ ...listenAddress(config.webhooks.listen), ...(tls ? { tls } : {}) }, handler);
  return {
    url: listener.url,
    reload: async (next) => {
      sites = await webhookSites(next, o);
    },
    close: () => listener.close(),
  };
}
