/**
 * A problem the user can fix (bad file, unknown layer, wrong target…). Its message is shown as-is,
 * on one line, with no stack trace. Anything else that escapes the engine is a bug.
 */
export class LayerLensError extends Error {
  /** The ONNX node the problem is at, when there is one (the inspector points at it). */
  readonly node?: string;
  /** That node's op type (with its domain when not the default one). */
  readonly op?: string;

  constructor(
    message: string,
    /** Machine-readable category, stable across versions. */
    readonly code: LayerLensErrorCode = 'invalid-argument',
    where: { node?: string; op?: string } = {},
  ) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'LayerLensError';
    if (where.node !== undefined) this.node = where.node;
    if (where.op !== undefined) this.op = where.op;
  }
}

export type LayerLensErrorCode =
  | 'invalid-argument'
  | 'model-unreadable'
  | 'model-invalid'
  | 'unknown-layer'
  | 'unsupported-op'
  | 'target-invalid'
  | 'input-invalid'
  | 'provider-unavailable'
  | 'cancelled'
  | 'internal';

/** One line for the user: our own errors verbatim, anything else prefixed as internal. */
export function describeError(e: unknown): string {
  if (e instanceof LayerLensError) return e.message;
  const msg = e instanceof Error ? e.message : String(e);
  return `internal error: ${msg.split('\n')[0]}`;
}
