/**
 * Whether the machine a Node document reached is that node, by the owner its managed record names (format
 * version 2): the site id and node name that last wrote it. The host key proves the machine is one the site
 * pinned; the owner proves it is the one this document means. Two documents for one machine, an address that
 * now leads to another node, or a machine another site manages are all told apart here, before a plan
 * prunes what the record lists. Pure: the planner and apply decide with it.
 */
import type { InventoryNode } from '../controller/model/observed.js';
import { MANAGED_RECORD_PATH, PREVIOUS_RECORD_PATH } from './managed-record-format.js';

export interface OwnerFinding {
  /**
   * NodeIdentityMismatch: the record belongs to another node or site; nothing is planned or changed there.
   * ManagedRecordAdopted: the record names no owner (written before records named theirs); the next
   * update writes this site's node as its owner, once.
   */
  code: 'NodeIdentityMismatch' | 'ManagedRecordAdopted';
  message: string;
}

export function recordOwnerFinding(site: string, node: string, observed: Pick<InventoryNode, 'owner'> | undefined): OwnerFinding | undefined {
  const owner = observed?.owner;
  if (owner === undefined) return undefined;
  if (owner === 'none') {
    return {
      code: 'ManagedRecordAdopted',
      message: `${MANAGED_RECORD_PATH} names no owner (written before underlay recorded one); this apply adopts it as node ${node} of site ${site}`,
    };
  }
  if (owner.site === site && owner.node === node) return undefined;
  const whose = owner.site === site ? `node ${owner.node} of this site` : `node ${owner.node} of site ${owner.site}`;
  const why =
    owner.site === site
      ? `two Node documents reach one machine, or the address of ${node} now leads to ${owner.node}'s machine`
      : `another site manages this machine`;
  return {
    code: 'NodeIdentityMismatch',
    message:
      `the machine reached as node ${node} of site ${site} is ${whose}, by its ${MANAGED_RECORD_PATH} (${why}): ` +
      'nothing is planned or changed there. If it really is this node now (a renamed node or site), set the ' +
      `record's owner to {"site": "${site}", "node": "${node}"} on the node, or delete ${MANAGED_RECORD_PATH} and ` +
      `${PREVIOUS_RECORD_PATH} to take it on afresh`,
  };
}

