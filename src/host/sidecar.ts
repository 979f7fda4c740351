/**
 * The per-model preprocessing sidecar, `<model>.layerlens.json`, next to the model. Written atomically
 * (temp file + rename, so a crash never leaves half a file); a file that is not valid is reported and left
 * alone unless the caller explicitly asks to overwrite it. Pure Node (no `vscode`).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parsePreprocess, sidecarPath } from '../engine/preprocess';
import type { ImagePreprocess } from '../shared/preprocess';

export { sidecarPath };

export type SidecarState =
  | { status: 'missing' }
  | { status: 'ok'; preprocess: ImagePreprocess; content: Record<string, unknown> }
  | { status: 'corrupt'; reason: string };

export class SidecarCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'SidecarCorruptError';
  }
}

/** Reads and checks a sidecar file (by its own path). */
export async function readSidecar(file: string): Promise<SidecarState> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: `cannot read it: ${(e as Error).message.split('\n')[0]}` };
  }
  return checkSidecarText(text);
}

export function checkSidecarText(text: string): SidecarState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { status: 'corrupt', reason: `not JSON: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { status: 'corrupt', reason: 'expected a JSON object' };
  const content = v as Record<string, unknown>;
  if ('preprocess' in content && (!content.preprocess || typeof content.preprocess !== 'object' || Array.isArray(content.preprocess)))
    return { status: 'corrupt', reason: "'preprocess' must be an object" };
  const preprocess = parsePreprocess(text);
  if (!preprocess) return { status: 'corrupt', reason: 'no preprocessing in it' };
  return { status: 'ok', preprocess, content };
}

/**
 * Saves `preprocess` into the model's sidecar, keeping any other fields already there. Throws
 * SidecarCorruptError when the existing file is not valid, unless `overwriteCorrupt` is set.
 */
export async function writeSidecar(modelPath: string, preprocess: ImagePreprocess, opts: { overwriteCorrupt?: boolean } = {}): Promise<string> {
  const file = sidecarPath(modelPath);
  const current = await readSidecar(file);
  if (current.status === 'corrupt' && !opts.overwriteCorrupt) throw new SidecarCorruptError(file, current.reason);
  const base = current.status === 'ok' ? current.content : {};
  const content = { ...base, version: 1, preprocess };
  await writeFileAtomic(file, JSON.stringify(content, null, 2) + '\n');
  return file;
}

/** Writes a temp file in the same folder, flushes it, then renames it over `file`. */
async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
