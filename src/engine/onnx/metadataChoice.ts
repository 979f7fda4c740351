/** A choice a model's metadata_props declare per output: one word for every output, or `{"<output>": "<word>"}`. */

export type MetadataProps = readonly { key?: string | null; value?: string | null }[];

/** The word `key` declares for `output`, when it is one of `allowed`; undefined when absent, unknown or malformed. */
export function metadataChoice<T extends string>(metadata: MetadataProps, key: string, output: string, allowed: readonly T[]): T | undefined {
  const raw = metadata.find((p) => p.key === key)?.value?.trim();
  if (!raw) return undefined;
  const known = (v: unknown): T | undefined => (typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : undefined);
  if (!raw.startsWith('{')) return known(raw);
  try {
    const map = JSON.parse(raw) as Record<string, unknown>;
    return map && typeof map === 'object' ? known(map[output]) : undefined;
  } catch {
    return undefined;
  }
}
