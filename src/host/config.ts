/** The `layerlens.*` settings, read fresh on every use so changes apply without a reload. */
import * as vscode from 'vscode';
import type { ProviderName } from '../engine/api';

const PROVIDERS: readonly ProviderName[] = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

export interface Settings {
  executionProvider: ProviderName;
  /** Intra-op threads; 0 = onnxruntime's default. */
  threads: number;
  topK: number;
  engineMemoryLimitMb: number;
  requestTimeoutSeconds: number;
}

export function settings(): Settings {
  const c = vscode.workspace.getConfiguration('layerlens');
  const provider = c.get<string>('executionProvider', 'auto');
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const v = c.get<number>(key, fallback);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : fallback;
  };
  return {
    executionProvider: (PROVIDERS as readonly string[]).includes(provider) ? (provider as ProviderName) : 'auto',
    threads: int('threads', 0, 0, 1024),
    topK: int('topK', 5, 1, 1000),
    engineMemoryLimitMb: int('engineMemoryLimitMb', 4096, 256, 1_048_576),
    requestTimeoutSeconds: int('requestTimeoutSeconds', 120, 0, 86_400),
  };
}

/** Settings whose change needs a fresh engine process (they are fixed when it starts). */
export function affectsEngineProcess(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('layerlens.engineMemoryLimitMb') || e.affectsConfiguration('layerlens.requestTimeoutSeconds');
}
