/**
 * Whether a GPU execution provider starts on this machine, asked of a child process. A provider that cannot start
 * does not just throw: Mesa's Vulkan loader, Dawn and CUDA's loader write their complaints straight to the native
 * stderr, which in our process would be the user's terminal. The child's stdout and stderr are captured, a timeout
 * bounds a hung driver, and the answer is cached per machine and onnxruntime version (one short process per
 * provider, once).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ProbeAnswer {
  ok: boolean;
  /** Why the provider did not start (when !ok): the first line of onnxruntime's error, or what happened to the probe. */
  reason?: string;
}

/** What one probe run found; `details` (the child's stderr) goes to the cache file for whoever investigates. */
export interface ProbeRecord extends ProbeAnswer {
  details?: string;
  /** The probe itself could not run (no script, no onnxruntime): not an answer about the machine, never cached. */
  transient?: boolean;
}

const PROBE_TIMEOUT_MS = 20_000;
/** Next to this module in both layouts: out/src/engine/runtime/ (tsc) and dist/ (each bundle, see scripts/build.mjs). */
const PROBE_SCRIPT = path.join(__dirname, 'providerProbeChild.js');
export const PROBE_CACHE_FILE = 'provider-probe.json';

/** The OS's per-user cache folder for LayerLens. */
export function layerlensCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'layerlens', 'Cache');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'layerlens');
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'layerlens');
}

/** A cached answer holds for this onnxruntime build on this machine only. */
export function probeCacheKey(ortVersion: string, platform: string = process.platform, arch: string = process.arch, host: string = os.hostname()): string {
  return `onnxruntime-node@${ortVersion} ${platform}-${arch} ${host}`;
}

export interface ChildProbeOptions {
  /** onnxruntime-node's package folder: the child loads the same build as we do. */
  ortDir: string;
  script?: string;
  timeoutMs?: number;
  /** Extra arguments before the script (tests). */
  execArgv?: string[];
}

/** Runs the probe script for `provider` and reads its verdict; the child's output never reaches our stderr. */
export function runProbeChild(provider: string, o: ChildProbeOptions): ProbeRecord {
  const script = o.script ?? PROBE_SCRIPT;
  if (!fs.existsSync(script)) return { ok: false, reason: `probe script missing (${script})`, transient: true };
  const timeoutMs = o.timeoutMs ?? PROBE_TIMEOUT_MS;
  const r = spawnSync(process.execPath, [...(o.execArgv ?? []), script, o.ortDir, provider], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
    // Under desktop VS Code process.execPath is Electron; this makes it a plain Node.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    windowsHide: true,
    maxBuffer: 4 * 2 ** 20,
  });
  const details = (r.stderr ?? '').trim().slice(-2000) || undefined;
  // The verdict counts even when the process then hung on exit and was killed.
  const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  try {
    const v = JSON.parse(last) as { ok?: unknown; error?: unknown };
    if (v.ok === true) return { ok: true, details };
    if (v.ok === false) return { ok: false, reason: (String(v.error ?? '').split('\n').find((l) => l.trim()) ?? '').trim().slice(0, 1000) || 'failed', details };
  } catch {
    // no verdict: the child died or hung before printing one
  }
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') return { ok: false, reason: `timed out after ${timeoutMs / 1000} s`, details };
  if (r.error) return { ok: false, reason: `could not start: ${r.error.message}`, transient: true };
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.status}`;
  return { ok: false, reason: `the probe process ${how}`, details };
}

type CacheFile = Record<string, Record<string, ProbeRecord & { probedAt: string }>>;

/** Probe answers for one cache key, kept in memory and in a JSON file shared by every LayerLens process. */
export class ProbeCache {
  private readonly memo = new Map<string, ProbeAnswer>();

  constructor(
    readonly file: string,
    readonly key: string,
    private readonly probe: (provider: string) => ProbeRecord,
  ) {}

  answer(provider: string): ProbeAnswer {
    const known = this.memo.get(provider) ?? this.read()[this.key]?.[provider];
    if (known) return this.remember(provider, known);
    const found = this.probe(provider);
    if (!found.transient) this.write(provider, found);
    return this.remember(provider, found);
  }

  private remember(provider: string, a: ProbeAnswer): ProbeAnswer {
    const answer: ProbeAnswer = a.ok ? { ok: true } : { ok: false, reason: a.reason ?? 'failed' };
    this.memo.set(provider, answer);
    return answer;
  }

  private read(): CacheFile {
    try {
      const v = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch {
      return {};
    }
  }

  /** Best effort: an unwritable cache only means probing again next time. */
  private write(provider: string, found: ProbeRecord): void {
    try {
      const all = this.read();
      all[this.key] = { ...all[this.key], [provider]: { ok: found.ok, reason: found.reason, details: found.details, probedAt: new Date().toISOString() } };
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // Write then rename, so a concurrent reader never sees half a file.
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(all, null, 1) + '\n');
      fs.renameSync(tmp, this.file);
    } catch {
      // read-only home, full disk, a file where the folder should be: keep the in-memory answer
    }
  }
}

let shared: ProbeCache | undefined;

/** Whether `provider` starts here: the machine's cached answer, or one probe run now. */
export function providerStarts(provider: string): ProbeAnswer {
  if (!shared) {
    let ortDir: string;
    let version: string;
    try {
      const pkg = require.resolve('onnxruntime-node/package.json');
      ortDir = path.dirname(pkg);
      version = String(JSON.parse(fs.readFileSync(pkg, 'utf8')).version);
    } catch {
      return { ok: false, reason: 'onnxruntime-node not found' };
    }
    shared = new ProbeCache(path.join(layerlensCacheDir(), PROBE_CACHE_FILE), probeCacheKey(version), (p) => runProbeChild(p, { ortDir }));
  }
  return shared.answer(provider);
}
