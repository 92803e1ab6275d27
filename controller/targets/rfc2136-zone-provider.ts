/**
 * The zone target over RFC 2136 (controller/services/dns/): observe reads the zone by a TSIG-signed AXFR and
 * keeps what this site's ownership records name; apply writes each record with its ownership record in one
 * change group, guarded by the value observed when planned, so a record changed behind underlay's back
 * fails loudly (DnsRecordChanged) instead of being overwritten.
 *
 * Apply hands over every dns change of one zone and dependency level at once (the dns kind's applyLevel):
 * they go out as one sync, in as few UPDATE messages as the size bounds allow, bisected when a prerequisite
 * fails so every other record still lands, and each change is answered for its own record.
 */
import type { Clock } from '../clock.js';
import type { DesiredZone } from '../model/desired.js';
import { toErrorRecord, UnderlayError } from '../model/errors.js';
import type { InventoryZone } from '../model/observed.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { DnsClient } from '../services/dns/dns-client.js';
import type { DnsError } from '../services/dns/dns-error.js';
import { loadTsigKey } from '../services/dns/load-tsig-key.js';
import type { TsigKey } from '../services/dns/tsig.js';
import type { ChangeGroup } from '../services/dns/update-message.js';
import { changeGroup, ownedRecords, type ChangeOfRecord } from './zone-records.js';
import type { ZoneTargetProvider, ZoneWrite } from './zone-provider.js';

/** What a zone update needs of the DNS client: one sync of many change groups. */
export interface ZoneClient {
  axfr: DnsClient['axfr'];
  sync(zone: string, groups: readonly ChangeGroup[]): ReturnType<DnsClient['sync']>;
}

export interface Rfc2136ZoneOptions {
  /** The site id its ownership records name. */
  site: string;
  secrets: SecretStore;
  clock: Clock;
  /** Tests pass their own; default: a DnsClient per zone. */
  client?: (zone: DesiredZone, key: TsigKey) => ZoneClient;
}

/** A record's update was refused on its prerequisites: it changed in the zone since it was planned. */
export class DnsRecordChanged extends UnderlayError<{ zone: string; name: string; type: string; server: string; rcode: string }> {
  constructor(at: { zone: string; server: string }, change: ChangeOfRecord, answer: DnsError) {
    const { name, type } = change.record;
    const rcode = answer.data.rcode ?? 'an error';
    const expected = change.before === null ? 'no record' : change.before;
    super({
      code: 'DnsRecordChanged',
      message: `zone ${at.zone}: ${name} ${type} changed since it was planned (expected ${expected}); the server ${at.server} answered ${rcode}, so nothing of it was written: plan again`,
      data: { zone: at.zone, name, type, server: at.server, rcode },
    });
  }
}

export class Rfc2136ZoneProvider implements ZoneTargetProvider {
  readonly #opts: Rfc2136ZoneOptions;
  /** How each zone was reached when observed: apply writes where it read. */
  readonly #zones = new Map<string, { at: DesiredZone; client: Promise<ZoneClient> }>();

  constructor(opts: Rfc2136ZoneOptions) {
    this.#opts = opts;
  }

  async observe(zone: string, at: DesiredZone): Promise<InventoryZone> {
    const client = this.#clientFor(zone, at);
    try {
      const contents = await (await client).axfr(at.apex);
      return ownedRecords(this.#opts.site, contents.records);
    } catch (error) {
      // Never an empty zone: an unread one is planned as nothing at all.
      const { code, message } = toErrorRecord(error);
      return { records: {}, unreadable: { code, message } };
    }
  }

  async write(zone: string, changes: readonly ZoneWrite[]): Promise<ReadonlyMap<string, Error>> {
    const known = this.#zones.get(zone);
    if (!known) throw new UnderlayError({ code: 'ZoneNotObserved', message: `zone ${zone} was not observed by this apply, so it is not known where to send its changes`, data: { zone } });
    const byId = new Map(changes.map((c) => [c.id, { ...c, site: this.#opts.site }]));
    // REFUSED, a TSIG failure, a server gone: thrown, and no change of the level can be known written.
    const result = await (await known.client).sync(known.at.apex, [...byId.values()].map(changeGroup));
    const where = { zone: known.at.apex, server: `${known.at.server.address}:${known.at.server.port}` };
    return new Map(result.rejected.map(({ group, failure }) => [group.id, new DnsRecordChanged(where, byId.get(group.id)!, failure)]));
  }

  #clientFor(zone: string, at: DesiredZone): Promise<ZoneClient> {
    const known = this.#zones.get(zone);
    if (known) return known.client;
    const { secrets, clock } = this.#opts;
    const make = this.#opts.client ?? ((z: DesiredZone, key: TsigKey) => new DnsClient({ server: { host: z.server.address, port: z.server.port }, key, clock }));
    const client = loadTsigKey(secrets, at.tsigKeySecret).then((key) => make(at, key));
    // A failed key load is reported by observe; it must not also be an unhandled rejection.
    client.catch(() => undefined);
    this.#zones.set(zone, { at, client });
    return client;
  }
}
