/**
 * VJP rules as data: one entry per (domain, op type, opset range). Lookup resolves the model's opset
 * to the rule whose range contains it, so a rule written for an op's semantics at one version is never
 * applied to another.
 */
import type { GradValue, VjpContext } from './context';

/**
 * One input's gradient, built only when the builder finds that input needs one (float, on a path from a layer
 * tensor), so an input nobody differentiates costs no node. Returns undefined for "no contribution after all".
 */
export type InputGrad = (() => GradValue | undefined) | undefined;

/**
 * Reads the forward node and its output gradients and returns one entry per input, by position: a thunk building
 * that input's gradient, or undefined where the op has no gradient for it (index, shape and axes inputs; a shorter
 * list leaves the remaining inputs without one). Checks that concern the whole node belong in the rule's body;
 * work for one input's gradient belongs in its thunk, and work several thunks share in a memoized `once`.
 */
export type VjpRule = (c: VjpContext) => readonly InputGrad[] | void;

export interface RuleSpec {
  /** First opset version this rule handles (inclusive; default 1). */
  since?: number;
  /** Last opset version this rule handles (inclusive; default open-ended). */
  until?: number;
  domain?: string;
  /**
   * The gradients the rule returns for these inputs (all of them with `true`) are shaped like output 0, and the
   * builder sums each over the axes its input was broadcast along (numpy broadcasting). A placed slab or `ZERO`
   * is already the input's shape and is left alone.
   */
  broadcasting?: boolean | readonly number[];
}

export interface RuleEntry {
  domain: string;
  opType: string;
  /** First opset version this rule handles (inclusive). */
  since: number;
  /** Last opset version this rule handles (inclusive); Infinity when open-ended. */
  until: number;
  broadcasting: boolean | readonly number[];
  rule: VjpRule;
}

const table = new Map<string, RuleEntry[]>();

const key = (domain: string, opType: string) => `${domain === 'ai.onnx' ? '' : domain}::${opType}`;

export function registerRule(opType: string, spec: RuleSpec, rule: VjpRule): void {
  const entry: RuleEntry = {
    domain: spec.domain ?? '',
    opType,
    since: spec.since ?? 1,
    until: spec.until ?? Infinity,
    broadcasting: spec.broadcasting ?? false,
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
export function registerRules(opTypes: string[], spec: RuleSpec, rule: VjpRule): void {
  for (const op of opTypes) registerRule(op, spec, rule);
}

/** Whether the rule's gradient for input i is shaped like output 0 and must be unbroadcast to the input. */
export function broadcastsInput(entry: RuleEntry, i: number): boolean {
  return entry.broadcasting === true || (Array.isArray(entry.broadcasting) && entry.broadcasting.includes(i));
}

export function findRule(domain: string, opType: string, opset: number): RuleEntry | undefined {
  return table.get(key(domain, opType))?.find((e) => opset >= e.since && opset <= e.until);
}

export function registeredOps(): RuleEntry[] {
  return [...table.values()].flat();
}
