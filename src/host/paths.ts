/** Where files the inspector reads may live: inside a workspace folder or the extension's media folder. Pure Node. */
import * as fs from 'node:fs';
import * as path from 'node:path';

function canonical(p: string): string {
  let abs = path.resolve(p);
  try {
    abs = fs.realpathSync.native(abs); // a symlink inside the workspace must not lead outside it
  } catch {
    // not there (yet): judge the path as written
  }
  return process.platform === 'win32' || process.platform === 'darwin' ? abs.toLowerCase() : abs;
}

/** True when `file` is `root` itself or lies below it. */
export function isInside(file: string, root: string): boolean {
  if (!path.isAbsolute(file)) return false;
  const rel = path.relative(canonical(root), canonical(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function isInsideAny(file: string, roots: readonly string[]): boolean {
  return roots.some((r) => isInside(file, r));
}

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'];
export const INPUT_EXTENSIONS = [...IMAGE_EXTENSIONS, 'npy'];

export function isInputFile(file: string): boolean {
  return INPUT_EXTENSIONS.includes(path.extname(file).slice(1).toLowerCase());
}

export function isOnnxFile(file: string): boolean {
  return path.extname(file).toLowerCase() === '.onnx';
}
