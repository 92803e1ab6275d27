/** The measured work, the same in the main thread and in each worker: sign requests round-robin for `ms`. */
import { createPrivateKey } from 'node:crypto';
import { resourceUsage } from 'node:process';
import { systemClock } from '../../controller/clock.js';
import { CertificateAuthority } from '../../controller/pki/certificate-authority.js';
import { systemRandom } from '../../controller/pki/certificate-builder.js';
import { DEFAULT_ISSUANCE_POLICY } from '../../controller/pki/policy.js';
import type { NodeRequest } from './node-requests.js';

/** CPU seconds of the whole process, every thread (GC's too). */
export function processCpu(): number {
  const { userCPUTime, systemCPUTime } = resourceUsage();
  return (userCPUTime + systemCPUTime) / 1e6;
}

export interface CaMaterial {
  certificatePem: string;
  keyPem: string;
}

/** Signed count, wall seconds and the process's CPU seconds (on a loaded machine CPU moves far less than wall time). */
export function signFor(ca: CaMaterial, requests: readonly NodeRequest[], ms: number): { signed: number; seconds: number; cpuSeconds: number } {
  const authority = new CertificateAuthority({ certificatePem: ca.certificatePem, key: createPrivateKey(ca.keyPem), policy: DEFAULT_ISSUANCE_POLICY, clock: systemClock, random: systemRandom });
  const start = performance.now();
  const cpu = processCpu();
  let signed = 0;
  while (performance.now() - start < ms) {
    const request = requests[signed % requests.length]!;
    // Every iteration does all of it: parse the PEM, verify the self-signature, the policy, build and sign.
    const result = authority.sign({ csr: request.csr, declared: request.declared, entitlement: request.entitlement });
    if (!result.issued) throw new Error(`${request.node}: refused: ${result.reasons.map((r) => r.message).join('; ')}`);
    signed++;
  }
  return { signed, seconds: (performance.now() - start) / 1000, cpuSeconds: processCpu() - cpu };
}
