/**
 * A rollout's shapes as plain values: a cluster's effective policy (controller/spec/rollout-policy.ts makes
 * it) and the intents the pure planner (controller/rollout/rollout-planner.ts) emits for a plan. They live in
 * the model because the Desired and the Plan carry them: apply takes nothing but the plan.
 */

import type { NodeGates } from './health-gate.js';

/** A count, or a share of the cluster's members such as "25%". */
export type Quantity = number | `${number}%`;

export type RolloutOrder = 'name' | { label: string } | { explicit: string[] };

export interface RolloutPolicy {
  maxUnavailable: Quantity;
  order: RolloutOrder;
  canary?: { nodes: number; soakSeconds: number };
  soakSeconds: number;
  progressDeadlineSeconds: number;
  failureBudget: Quantity;
  onFailure: 'halt' | 'pause';
  rollback: 'none' | 'failed-nodes';
}

export interface BatchIntent {
  cluster: string;
  /** From 1. */
  batch: number;
  nodes: string[];
  canary: boolean;
  /** The failure domain (the order label's value) of every node of the batch. */
  domain?: string;
  /** The names of the gates the batch's nodes wait for: service-up first, then the declared ones (ADR 0020). */
  gates: string[];
  /** Wait after the batch passed its gates, before the next one starts; 0 after the last batch. */
  soakSeconds: number;
  /** The batch's gates must pass within this, else the batch has failed. */
  deadlineSeconds: number;
  /** Members down while the batch runs, at most: its nodes that were up, and the members already down (the blast radius). */
  downAtOnce: number;
}

export interface RolloutIntents {
  cluster: string;
  /** How many members the cluster has: what the blast radius is a share of. */
  members: number;
  order: RolloutOrder;
  /** Members down at once, at most (counting those already down). */
  maxUnavailable: number;
  /** Failed nodes tolerated across the whole rollout. */
  failureBudget: number;
  onFailure: RolloutPolicy['onFailure'];
  rollback: RolloutPolicy['rollback'];
  /** Members down before the rollout, sorted. */
  unavailable: string[];
  batches: BatchIntent[];
  /** Disrupted nodes no batch may take down: the members already down use up maxUnavailable. */
  held: string[];
  /**
   * What each member declares (ADR 0020): the gates its batch waits for besides service-up, the drain and
   * undrain steps around its batch. Every member, not only those in batches: a cluster gate runs on a
   * healthy one, and the check before a batch counts the members down. Absent when none declares any, so a
   * plan without gates keeps the JSON (and hash) it had.
   */
  gates?: Record<string, NodeGates>;
}
