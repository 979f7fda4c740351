/**
 * Float weights made 4-byte aligned inside the file's own bytes, so each is a Float32Array view that onnxruntime
 * reads in place as a session input (sessionModel.ts). Decoding leaves every bytes field as a view into the file's
 * buffer at whatever offset the protobuf put it: 44 of ViT-B/16's 58 weights were not 4-byte aligned, and copying
 * them out would hold the model twice.
 *
 * Once decoded, the protobuf's own bytes between the fields are dead, so a weight can move left into them. Every live
 * view is visited in file order; a misaligned float tensor moves to the first aligned offset after the previous live
 * view — never past its own start, so it overwrites nothing alive (a protobuf field is preceded by at least its tag
 * and length, which leaves the 1–3 bytes of padding almost always; where it does not, the weight stays where it is
 * and is copied when used).
 */
import { ElemType, type ModelProto, type TensorProto } from './proto';

interface Slot {
  owner: Record<string, unknown>;
  key: string;
  view: Uint8Array;
  /** A float tensor's raw data: worth aligning. */
  float: boolean;
}

/** Every Uint8Array in `proto` that is a view of `buffer`, with where it is held. */
function liveViews(proto: ModelProto, buffer: ArrayBufferLike): Slot[] {
  const slots: Slot[] = [];
  const seen = new Set<object>();
  const walk = (o: unknown): void => {
    if (!o || typeof o !== 'object' || seen.has(o)) return;
    seen.add(o);
    if (ArrayBuffer.isView(o)) return;
    // Arrays and messages alike: their entries (an array's keys are its indices).
    for (const [key, v] of Object.entries(o)) {
      if (!(v instanceof Uint8Array)) walk(v);
      else if (v.buffer === buffer) slots.push({ owner: o as Record<string, unknown>, key, view: v, float: key === 'rawData' && (o as TensorProto).dataType === ElemType.FLOAT });
    }
  };
  walk(proto);
  return slots.sort((a, b) => a.view.byteOffset - b.view.byteOffset);
}

/** Aligns the float tensors of `proto` (decoded from `file`) in place; returns how many it moved. */
export function alignWeightsInPlace(proto: ModelProto, file: Uint8Array): number {
  const buffer = file.buffer;
  const bytes = new Uint8Array(buffer);
  let cursor = file.byteOffset;
  let moved = 0;
  for (const s of liveViews(proto, buffer)) {
    const start = s.view.byteOffset;
    const len = s.view.length;
    if (start < cursor) {
      cursor = Math.max(cursor, start + len); // a view overlapping another (the same bytes twice): leave both
      continue;
    }
    if (s.float && start % 4 !== 0) {
      const to = Math.ceil(cursor / 4) * 4;
      if (to <= start) {
        bytes.copyWithin(to, start, start + len);
        s.owner[s.key] = new Uint8Array(buffer, to, len);
        moved++;
        cursor = to + len;
        continue;
      }
    }
    cursor = start + len;
  }
  return moved;
}
