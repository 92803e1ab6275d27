/**
 * Where open alert incidents are kept, for every site of the controller (one database serves them all): so
 * a restarted controller neither alerts an open incident again nor forgets to remind and resolve it. The
 * incident is the alerter's (controller/alerts/alert.ts), kept as the JSON it is.
 */
export interface StoredIncident {
  site: string;
  reason: string;
  key: string;
  summary: string;
  details: Record<string, unknown>;
  openedAt: string;
  /** Route id -> when it was last notified of this incident. */
  notifiedAt: Record<string, string>;
}

export interface IncidentStore<I extends StoredIncident> {
  open(): Promise<I[]>;
  save(incident: I): Promise<void>;
  remove(incident: Pick<I, 'site' | 'reason' | 'key'>): Promise<void>;
}
