/** Class labels for a model: its metadata (`labels`, `classes`…), or a sidecar next to the model file. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoadedModel } from './onnx/loadModel';

const METADATA_KEYS = ['labels', 'classes', 'class_names', 'names'];

function parseLabelList(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
      if (v && typeof v === 'object') {
        // {"0": "cat", "1": "dog"} (as some exporters write it)
        const entries = Object.entries(v as Record<string, unknown>).filter(([k]) => /^\d+$/.test(k));
        if (entries.length) {
          const out: string[] = [];
          for (const [k, name] of entries) out[Number(k)] = String(name);
          return Array.from(out, (x, i) => x ?? String(i));
        }
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  const lines = t.split(/\r?\n/).map((l) => l.trim());
  return lines.length > 1 ? lines : t.split(',').map((s) => s.trim());
}

export function findLabels(model: LoadedModel): { labels: string[]; source: string } | undefined {
  for (const p of model.proto.metadataProps ?? []) {
    if (p.key && METADATA_KEYS.includes(p.key) && p.value) {
      const labels = parseLabelList(p.value);
      if (labels) return { labels, source: `metadata '${p.key}'` };
    }
  }
  const base = model.path.replace(/\.onnx$/i, '');
  for (const candidate of [`${base}.labels.json`, `${base}.labels.txt`, path.join(model.dir, 'labels.json'), path.join(model.dir, 'labels.txt')]) {
    try {
      const labels = parseLabelList(fs.readFileSync(candidate, 'utf8'));
      if (labels) return { labels, source: path.basename(candidate) };
    } catch {
      // not there: try the next one
    }
  }
  return undefined;
}
