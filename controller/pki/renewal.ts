/**
 * When a certificate is renewed: once two thirds of its lifetime have passed, a little earlier for some than
 * for others, so that a fleet issued in the same minute does not renew in the same minute. The offset is a
 * hash of node, certificate and serial, never randomness: the same certificate gives the same plan on
 * every run and every machine, and a reissued one (new serial) gets a new offset. Pure.
 */
import { createHash } from 'node:crypto';

export interface IssuedCertificateFacts {
  node: string;
  /** The certificate resource's name on that node. */
  certificate: string;
  /** Hex, as the probe reports it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export interface RenewalPolicy {
  /** The share of the lifetime after which a certificate is renewed. */
  fraction: number;
  /** The spread: at most this share of the lifetime earlier ... */
  jitterFraction: number;
  /** ... and never more than this. */
  maxJitterMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_RENEWAL: RenewalPolicy = { fraction: 2 / 3, jitterFraction: 0.1, maxJitterMs: DAY_MS };

export interface RenewalDecision {
  renew: boolean;
  /** When it is (or was) due. */
  renewAt: Date;
  /** "renew: expires in 12 days", "renew: expired 2 hours ago", or "renews in 5 days" when not due. */
  reason: string;
}

/** A number in [0, 1) that is the same for the same certificate and different across a fleet. */
function spread(c: IssuedCertificateFacts): number {
  const digest = createHash('sha256').update(`${c.node}\0${c.certificate}\0${c.serial.toLowerCase()}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Whole days, else whole hours, else whole minutes (rounded down: "in 12 days" means at least 12). */
export function roughly(ms: number): string {
  const [amount, unit] = ms >= DAY_MS ? [Math.floor(ms / DAY_MS), 'day'] : ms >= HOUR_MS ? [Math.floor(ms / HOUR_MS), 'hour'] : [Math.floor(ms / 60_000), 'minute'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

export function renewalDecision(c: IssuedCertificateFacts, now: Date, policy: RenewalPolicy = DEFAULT_RENEWAL): RenewalDecision {
  const start = c.notBefore.getTime();
  const end = c.notAfter.getTime();
  const lifetime = Math.max(0, end - start);
  const jitter = Math.min(lifetime * policy.jitterFraction, policy.maxJitterMs) * spread(c);
  const renewAt = new Date(Math.round(start + lifetime * policy.fraction - jitter));
  const left = end - now.getTime();
  if (left <= 0) return { renew: true, renewAt, reason: `renew: expired ${roughly(-left)} ago` };
  if (now.getTime() >= renewAt.getTime()) return { renew: true, renewAt, reason: `renew: expires in ${roughly(left)}` };
  return { renew: false, renewAt, reason: `renews in ${roughly(renewAt.getTime() - now.getTime())}` };
}
