/**
 * Where open incidents are kept, for every site of the controller (one database serves them all): so a
 * restarted controller neither alerts an open incident again nor forgets to remind and resolve it.
 */
import type { Incident } from './alert.js';

export interface IncidentStore {
  open(): Promise<Incident[]>;
  save(incident: Incident): Promise<void>;
  remove(incident: Pick<Incident, 'site' | 'reason' | 'key'>): Promise<void>;
}
