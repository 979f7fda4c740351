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

/**
 * The folder a save dialog for an export opens in. The last folder the user exported to comes first (a second
 * export goes beside the first); then the workspace folder holding the model, or the first workspace folder —
 * the user's project, where the file shows up in the Explorer. Not the model's folder: models often sit in a
 * download or checkpoint folder, outside the workspace, or (the bundled demo) inside the extension's install
 * folder; and not the input's folder, which is usually a data set the exports would mix into. With no
 * workspace: the model's folder (the demo's: the home folder).
 */
export function exportFolder(o: { lastExport?: string; modelPath: string; modelWorkspaceFolder?: string; firstWorkspaceFolder?: string; isDemo: boolean; home: string }): string {
  if (o.lastExport && isDirectory(o.lastExport)) return o.lastExport;
  return o.modelWorkspaceFolder ?? o.firstWorkspaceFolder ?? (o.isDemo ? o.home : path.dirname(o.modelPath));
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
