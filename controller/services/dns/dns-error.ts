/**
 * What can go wrong talking to a DNS server, with a stable code and the zone and server's answer as data.
 * Never holds key material: only the key's name.
 */
import { UnderlayError } from '../../model/errors.js';

export type DnsErrorCode =
  /** The server answered an UPDATE with an RCODE other than NOERROR (REFUSED, NOTAUTH, NXRRSET, ...). */
  | 'DnsUpdateRejected'
  /** TSIG failed: the server's TSIG error (BADKEY, BADSIG, BADTIME), or its answer did not verify here. */
  | 'DnsTsigFailed'
  /** A zone read (AXFR) that did not complete: never to be taken for an empty or partial zone. */
  | 'DnsZoneReadFailed'
  | 'DnsQueryFailed'
  | 'DnsTimeout'
  | 'DnsUnreachable'
  | 'DnsResponseInvalid';

export interface DnsErrorData {
  zone: string;
  server: string;
  /** The header RCODE the server answered, by name. */
  rcode?: string;
  /** The TSIG error the server reported, or what failed verifying its answer. */
  tsigError?: string;
  /** Whether the answer carried a valid TSIG MAC (an unsigned REFUSED may come from anyone on the path). */
  authenticated?: boolean;
  /** For a split update: which message (0-based) of how many, and the change groups it carried. */
  message?: { index: number; of: number; groups: string[] };
}

export class DnsError extends UnderlayError<DnsErrorData> {
  declare readonly code: DnsErrorCode;

  constructor(code: DnsErrorCode, message: string, data: DnsErrorData) {
    super({ code, message, data });
  }
}
