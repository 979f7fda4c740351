/**
 * VJP rules as data: one entry per (domain, op type, opset range). Lookup resolves the model's opset
 * to the rule whose range contains it, so a rule written for an op's semantics at one version is never
 * applied to another.
 */
import type { VjpContext } from './context';

/** Emits the backward nodes of one forward node: reads output gradients, contributes input gradients. */
export type VjpRule = (c: VjpContext) => void;

export interface RuleEntry {
  domain: string;
  opType: string;
  /** First opset version this rule handles (inclusive). */
  since: number;
  /** Last opset version this rule handles (inclusive); Infinity when open-ended. */
  until: number;
  rule: VjpRule;
}

const table = new Map<string, RuleEntry[]>();

const key = (domain: string, opType: string) => `${domain === 'ai.onnx' ? '' : domain}::${opType}`;

export function registerRule(opType: string, range: { since?: number; until?: number; domain?: string }, rule: VjpRule): void {
  const entry: RuleEntry = {
    domain: range.domain ?? '',
    opType,
    since: range.since ?? 1,
    until: range.until ?? Infinity,
    rule,
  };
  const k = key(entry.domain, opType);
  const list = table.get(k) ?? [];
  for (const other of list) {
    if (entry.since <= other.until && other.since <= entry.until)
      throw new Error(`VJP rule for ${opType} registered twice for overlapping opsets ${entry.since}-${entry.until} and ${other.since}-${other.until}`);
  }
  list.push(entry);
  table.set(k, list);
}

/** Registers the same rule for several op types (e.g. ops whose gradient is identical). */
export function registerRules(opTypes: string[], range: { since?: number; until?: number; domain?: string }, rule: VjpRule): void {
  for (const op of opTypes) registerRule(op, range, rule);
}

export function findRule(domain: string, opType: string, opset: number): RuleEntry | undefined {
  return table.get(key(domain, opType))?.find((e) => opset >= e.since && opset <= e.until);
}

export function registeredOps(): RuleEntry[] {
  return [...table.values()].flat();
}
