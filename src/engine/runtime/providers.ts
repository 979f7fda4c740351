/**
 * Execution-provider selection. Asking onnxruntime for a provider that cannot start throws (there is no
 * automatic fallback) and lets its drivers print to our stderr, so a GPU provider is tried in-process only when
 * its libraries are there and a probe in a child process started it (providerProbe.ts); `auto` tries those in
 * order, records why each other one was skipped, and ends with CPU.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProviderName } from '../api';
import { ProbeAnswer, providerStarts } from './providerProbe';

export type ConcreteProvider = Exclude<ProviderName, 'auto'>;

/** GPU providers worth trying on a platform, most capable first. */
function gpuCandidates(platform: NodeJS.Platform = process.platform): ConcreteProvider[] {
  const table: Partial<Record<NodeJS.Platform, ConcreteProvider[]>> = {
    linux: ['cuda', 'webgpu'],
    win32: ['cuda', 'dml', 'webgpu'],
    darwin: ['coreml', 'webgpu'],
  };
  return table[platform] ?? [];
}

/** onnxruntime-node's CUDA provider only exists when its optional install step put the libraries next to the binding. */
function cudaLibrariesPresent(): boolean {
  try {
    const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const binDir = path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return fs.existsSync(path.join(binDir, lib));
  } catch {
    return false;
  }
}

/** Dawn's WebGPU needs the Vulkan loader on Linux; without it session creation prints native warnings and fails. */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
  const extra = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [...extra, ...dirs].some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')));
}

export interface ProviderProbes {
  cuda: () => boolean;
  vulkan: () => boolean;
  /** Whether a GPU provider starts, asked of a child process (default: providerStarts, cached per machine). */
  starts?: (p: ConcreteProvider) => ProbeAnswer;
}

const DEFAULT_PROBES: ProviderProbes = { cuda: cudaLibrariesPresent, vulkan: vulkanLoaderPresent, starts: providerStarts };

/** A reason a provider cannot start here, found without trying it in this process (undefined: worth trying). */
function precheckProvider(p: ConcreteProvider, platform: NodeJS.Platform = process.platform, probes: ProviderProbes = DEFAULT_PROBES): string | undefined {
  const table: Record<ConcreteProvider, () => string | undefined> = {
    cpu: () => undefined,
    cuda: () => (platform === 'darwin' ? 'not available on macOS' : probes.cuda() ? undefined : 'provider libraries not installed (see README, GPU section)'),
    webgpu: () => (platform === 'linux' && !probes.vulkan() ? 'the Vulkan loader (libvulkan.so.1) is not installed' : undefined),
    dml: () => (platform === 'win32' ? undefined : 'DirectML exists on Windows only'),
    coreml: () => (platform === 'darwin' ? undefined : 'CoreML exists on macOS only'),
  };
  const missing = table[p]();
  if (missing || p === 'cpu') return missing;
  const probe = (probes.starts ?? providerStarts)(p);
  if (probe.ok) return undefined;
  return `${p === 'webgpu' ? 'no adapter' : 'did not start'} (probe: ${shortProviderError(probe.reason ?? 'failed')})`;
}

export interface ProviderPlan {
  /** Providers to try, in order. */
  order: ConcreteProvider[];
  /** Providers left out before trying, with the reason. */
  skipped: string[];
}

export function planProviders(
  requested: ProviderName = 'auto',
  platform: NodeJS.Platform = process.platform,
  probes: ProviderProbes = DEFAULT_PROBES,
): ProviderPlan {
  if (requested !== 'auto') {
    const why = precheckProvider(requested, platform, probes);
    return why ? { order: [], skipped: [`${requested}: ${why}`] } : { order: [requested], skipped: [] };
  }
  const order: ConcreteProvider[] = [];
  const skipped: string[] = [];
  for (const p of gpuCandidates(platform)) {
    const why = precheckProvider(p, platform, probes);
    if (why) skipped.push(`${p}: ${why}`);
    else order.push(p);
  }
  order.push('cpu');
  return { order, skipped };
}

/** First line of an onnxruntime error, without its source-file prefix. */
export function shortProviderError(e: unknown): string {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n').find((l) => l.trim()) ?? '';
  const m = /(Failed to get a WebGPU adapter:.*|Failed to load shared library|backend not found|No supported adapters)/.exec(msg);
  return (m ? m[1] : msg.replace(/^\/?[^\s]*\.(cc|cpp|h):\d+\s+/, '')).slice(0, 200);
}
