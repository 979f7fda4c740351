/** A few DOM helpers, so panels read as structure rather than createElement calls. */
// The toolkit components this UI uses (each import registers its custom element).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';

export type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | undefined | null | EventListener;
export type Attrs = Record<string, AttrValue>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    // Through the CSSOM: a strict webview CSP blocks style attributes.
    else if (k === 'style') el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
}

/** `replaceChildren`, skipping empty slots. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A codicon glyph (shown when the host loads codicon.css; purely decorative otherwise). */
export function icon(name: string): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

export interface Option<T extends string> {
  value: T;
  label: string;
  description?: string;
}

/**
 * Sets a text that CSS may cut with an ellipsis, and the same text as its tooltip (the whole of it on hover).
 * Every element styled with `text-overflow: ellipsis` gets its text through here, or has an ancestor whose
 * title holds it (checked in test/webview/browser.test.mjs).
 */
export function setFullText(el: HTMLElement, text: string): void {
  el.textContent = text;
  if (text) el.title = text;
  else el.removeAttribute('title');
}

/** The select's tooltip: the chosen option's label (the face cuts long ones, "Blended heat…"). */
function titleSelect(el: HTMLElement, value: string): void {
  const op = [...el.querySelectorAll('vscode-option')].find((o) => o.getAttribute('value') === value);
  el.title = op?.textContent ?? '';
}

/** A `vscode-single-select` with options; `onChange` gets the chosen value. */
export function select<T extends string>(opts: { label: string; options: readonly Option<T>[]; value: T; onChange: (v: T) => void; id?: string }): HTMLElement {
  const el = document.createElement('vscode-single-select');
  el.setAttribute('aria-label', opts.label);
  if (opts.id) el.id = opts.id;
  for (const o of opts.options) {
    const op = document.createElement('vscode-option');
    op.setAttribute('value', o.value);
    if (o.description) op.setAttribute('description', o.description);
    if (o.value === opts.value) op.setAttribute('selected', '');
    op.textContent = o.label;
    // The select reads each label from the option's innerText, which is '' while the option is not laid out —
    // inside a closed <details> (content-visibility: hidden in current Chromium) the list and the face would
    // stay blank. The label is the option's text wherever the select is built.
    Object.defineProperty(op, 'innerText', { configurable: true, get: () => op.textContent ?? '' });
    el.append(op);
  }
  titleSelect(el, opts.value);
  el.addEventListener('change', () => {
    titleSelect(el, el.value);
    opts.onChange(el.value as T);
  });
  return el;
}

export function setSelectValue(el: HTMLElement, value: string): void {
  const s = el as HTMLElementTagNameMap['vscode-single-select'];
  if (s.value !== value) s.value = value;
  titleSelect(el, value);
}

export function checkbox(opts: { label: string; checked: boolean; onChange: (v: boolean) => void; id?: string; title?: string }): HTMLElementTagNameMap['vscode-checkbox'] {
  const el = document.createElement('vscode-checkbox');
  el.label = opts.label;
  el.checked = opts.checked;
  if (opts.id) el.id = opts.id;
  if (opts.title) el.title = opts.title;
  el.addEventListener('change', () => opts.onChange(el.checked));
  return el;
}

export function button(opts: { label: Child | Child[]; onClick: () => void; secondary?: boolean; id?: string; title?: string; ariaLabel?: string }): HTMLElementTagNameMap['vscode-button'] {
  const el = document.createElement('vscode-button');
  if (opts.secondary) el.setAttribute('secondary', '');
  if (opts.id) el.id = opts.id;
  if (opts.title) el.title = opts.title;
  if (opts.ariaLabel) el.setAttribute('aria-label', opts.ariaLabel);
  append(el, ...(Array.isArray(opts.label) ? opts.label : [opts.label]));
  el.addEventListener('click', () => {
    if (!el.hasAttribute('disabled')) opts.onClick();
  });
  return el;
}

export function textfield(opts: { label: string; value: string; placeholder?: string; id?: string; type?: string; onInput?: (v: string) => void; onChange?: (v: string) => void }): HTMLElementTagNameMap['vscode-textfield'] {
  const el = document.createElement('vscode-textfield');
  el.setAttribute('aria-label', opts.label);
  if (opts.type) el.setAttribute('type', opts.type);
  if (opts.placeholder) el.placeholder = opts.placeholder;
  if (opts.id) el.id = opts.id;
  el.value = opts.value;
  if (opts.onInput) el.addEventListener('input', () => opts.onInput!(el.value));
  if (opts.onChange) el.addEventListener('change', () => opts.onChange!(el.value));
  return el;
}

/** A titled panel section. */
export function section(title: string, id: string, ...children: Child[]): HTMLElement {
  const headingId = `${id}-title`;
  return h('section', { class: 'll-section', id, 'aria-labelledby': headingId }, h('h2', { class: 'll-section-title', id: headingId }, title), ...children);
}

/** A label + control row. */
export function field(label: string, control: Child, hint?: Child): HTMLElement {
  return h('div', { class: 'll-field' }, h('span', { class: 'll-field-label' }, label), h('div', { class: 'll-field-control' }, control), hint ? h('div', { class: 'll-field-hint' }, hint) : null);
}
