/**
 * Header status: progress with cancel while the engine works — which stage it is in (reading, compiling, running,
 * receiving the result) and the time since the request started, ticking — then the provider that ran and the time
 * each stage of this request took.
 */
import type { ProgressInfo, ProviderInfo, Timings } from '../../src/shared/protocol';
import { button, h, icon, setFullText } from '../dom';
import { formatMs } from '../format';
import { S, STAGE_WORDS } from '../strings';

export class StatusBar {
  readonly el: HTMLElement;
  private readonly bar: HTMLElementTagNameMap['vscode-progress-bar'];
  private readonly text: HTMLElement;
  private readonly cancel: HTMLElementTagNameMap['vscode-button'];
  private readonly provider: HTMLElement;
  private readonly timing: HTMLElement;
  /** When the current busy period started, and the text before its elapsed time. */
  private started = 0;
  private base = '';
  private ticker?: number;

  constructor(onCancel: () => void) {
    this.bar = document.createElement('vscode-progress-bar');
    this.bar.id = 'progress';
    this.bar.ariaLabel = 'Attribution progress';
    this.text = h('span', { class: 'll-progress-text', 'aria-live': 'polite' });
    this.cancel = button({ label: [icon('stop-circle'), ' ', S.cancel], id: 'cancel-button', secondary: true, onClick: onCancel });
    this.provider = h('span', { class: 'll-badge', id: 'provider', title: '' });
    this.timing = h('span', { class: 'll-muted', id: 'timing' });
    this.el = h('div', { class: 'll-status' }, h('div', { class: 'll-busy' }, this.text, this.cancel), h('div', { class: 'll-run-info' }, this.provider, this.timing));
    this.el.append(this.bar);
    this.idle();
  }

  busy(text: string): void {
    this.el.classList.add('is-busy');
    this.bar.hidden = false;
    this.bar.value = undefined;
    this.started = performance.now();
    this.base = text.replace(/…$/, '');
    this.tick();
    window.clearInterval(this.ticker);
    this.ticker = window.setInterval(() => this.tick(), 200);
    this.cancel.hidden = false;
  }

  progress(p: ProgressInfo, what: string): void {
    this.bar.value = p.fraction === undefined ? undefined : Math.round(p.fraction * 100);
    this.bar.max = 100;
    this.base = `${what} · ${STAGE_WORDS[p.stage] ?? p.stage}${p.message ? ` — ${p.message}` : ''}${p.fraction === undefined ? '' : ` ${Math.round(p.fraction * 100)}%`}`;
    this.el.dataset.stage = p.stage;
    this.tick();
  }

  idle(): void {
    this.el.classList.remove('is-busy');
    window.clearInterval(this.ticker);
    this.ticker = undefined;
    this.bar.hidden = true;
    delete this.el.dataset.stage;
    setFullText(this.text, '');
    this.cancel.hidden = true;
  }

  /** The stage text with the time since the request started ("… · 1.4 s"). */
  private tick(): void {
    const s = (performance.now() - this.started) / 1000;
    setFullText(this.text, `${this.base}… ${s.toFixed(1)} s`);
  }

  setRun(provider: string, timings: Timings, notes: string[]): void {
    this.provider.textContent = provider.toUpperCase();
    this.provider.hidden = false;
    this.provider.title = notes.length ? notes.join('\n') : `Ran on ${provider}`;
    const parts = [`run ${formatMs(timings.run)}`];
    if (timings.compile > 0) parts.push(`compile ${formatMs(timings.compile)}`);
    if (timings.load > 0) parts.push(`load ${formatMs(timings.load)}`);
    this.timing.textContent = parts.join(' · ');
  }

  setProvider(info: ProviderInfo): void {
    this.provider.textContent = info.used.toUpperCase();
    this.provider.hidden = false;
    this.provider.title = [`Execution provider: ${info.used} (asked for ${info.requested})`, `Available: ${info.available.join(', ') || '—'}`, ...info.notes].join('\n');
  }
}
