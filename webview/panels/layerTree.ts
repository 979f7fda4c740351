/**
 * The layer tree: module hierarchy with op types, shapes and parameter counts; a filter; keyboard
 * navigation (arrows, Home/End, Enter). A flat list of `treeitem`s with `aria-level`, one row per visible entry.
 */
import type { LayerEntry, ModelInfo, ValueSummary } from '../../src/shared/protocol';
import { h, textfield } from '../dom';
import { formatCount, formatShape } from '../format';
import { S } from '../strings';

export interface LayerTreeOptions {
  filter: string;
  expanded: string[];
  onSelect: (id: string) => void;
  onFilterChange: (text: string) => void;
  onExpandedChange: (ids: string[]) => void;
}

interface Row {
  id: string;
  depth: number;
  el: HTMLElement;
}

export class LayerTreeView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly filterField: HTMLElementTagNameMap['vscode-textfield'];
  private readonly countEl: HTMLElement;
  private entries = new Map<string, LayerEntry>();
  private roots: string[] = [];
  private values = new Map<string, ValueSummary>();
  private expanded: Set<string>;
  private filter: string;
  private selected?: string;
  private focused?: string;
  private layerInput = false;
  private rows: Row[] = [];

  constructor(private readonly opts: LayerTreeOptions) {
    this.filter = opts.filter;
    this.expanded = new Set(opts.expanded);
    this.filterField = textfield({
      label: S.filterLayers,
      value: opts.filter,
      placeholder: S.filterPlaceholder,
      id: 'layer-filter',
      onInput: (v) => {
        this.filter = v;
        opts.onFilterChange(v);
        this.render();
      },
    });
    this.filterField.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'ArrowDown' && this.rows.length) {
        e.preventDefault();
        this.focusRow(this.rows.find((r) => r.id === this.selected)?.id ?? this.rows[0].id);
      } else if (e.key === 'Escape' && this.filter) {
        this.filterField.value = '';
        this.filter = '';
        opts.onFilterChange('');
        this.render();
      }
    });
    this.countEl = h('span', { class: 'll-count', 'aria-live': 'polite' });
    this.list = h('div', { class: 'll-tree', role: 'tree', 'aria-label': S.layers, id: 'layer-tree' });
    this.list.addEventListener('keydown', (e) => this.onKey(e));
    this.el = h(
      'section',
      { class: 'll-section ll-layers', id: 'layers-panel', 'aria-labelledby': 'layers-title' },
      h('h2', { class: 'll-section-title', id: 'layers-title' }, S.layers, this.countEl),
      h('div', { class: 'll-filter' }, this.filterField),
      h('div', { class: 'll-tree-head', 'aria-hidden': 'true' }, h('span', {}, 'Layer'), h('span', {}, 'Shape'), h('span', {}, 'Params')),
      this.list,
    );
  }

  focusFilter(): void {
    this.filterField.focus();
  }

  setModel(model: ModelInfo): void {
    this.entries = new Map(model.layers.map((e) => [e.id, e]));
    this.roots = model.roots.filter((r) => this.entries.has(r));
    this.values = new Map(model.values.map((v) => [v.name, v]));
    // A fresh tree opens its first level when nothing was remembered.
    if (!this.expanded.size && this.roots.length <= 12) for (const r of this.roots) if (this.entries.get(r)?.children.length) this.expanded.add(r);
    this.render();
  }

  setSelected(id: string | undefined): void {
    this.selected = id;
    if (id) this.revealAncestors(id);
    this.render();
    if (id) this.rows.find((r) => r.id === id)?.el.scrollIntoView({ block: 'nearest' });
  }

  setLayerInput(on: boolean): void {
    if (on === this.layerInput) return;
    this.layerInput = on;
    this.render();
  }

  entry(id: string): LayerEntry | undefined {
    return this.entries.get(id);
  }

  /** Shape text of a layer's activations on the attributed side. */
  shapeOf(e: LayerEntry): string {
    const names = this.layerInput ? e.inputs : e.outputs;
    if (!names.length) return '';
    const first = formatShape(this.values.get(names[0])?.shape);
    return names.length > 1 ? `${first} +${names.length - 1}` : first;
  }

  private revealAncestors(id: string): void {
    let p = this.entries.get(id)?.parent;
    let changed = false;
    while (p) {
      if (!this.expanded.has(p)) {
        this.expanded.add(p);
        changed = true;
      }
      p = this.entries.get(p)?.parent;
    }
    if (changed) this.opts.onExpandedChange([...this.expanded]);
  }

  private matches(e: LayerEntry, terms: string[]): boolean {
    const hay = `${e.id} ${e.label} ${e.opTypes.join(' ')}`.toLowerCase();
    return terms.every((t) => hay.includes(t));
  }

  /** Ids to show, depth-first, honouring the filter (matches plus their ancestors, all opened). */
  private visible(): { id: string; depth: number }[] {
    const terms = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    let keep: Set<string> | undefined;
    if (terms.length) {
      keep = new Set();
      for (const e of this.entries.values())
        if (this.matches(e, terms)) {
          for (let id: string | undefined = e.id; id && !keep.has(id); id = this.entries.get(id)?.parent) keep.add(id);
        }
    }
    const out: { id: string; depth: number }[] = [];
    const walk = (id: string, depth: number) => {
      const e = this.entries.get(id);
      if (!e || (keep && !keep.has(id))) return;
      out.push({ id, depth });
      if (keep || this.expanded.has(id)) for (const c of e.children) walk(c, depth + 1);
    };
    for (const r of this.roots) walk(r, 0);
    return out;
  }

  private render(): void {
    const vis = this.visible();
    const terms = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    if (!vis.some((v) => v.id === this.focused)) this.focused = vis.find((v) => v.id === this.selected)?.id ?? vis[0]?.id;
    this.rows = vis.map(({ id, depth }) => ({ id, depth, el: this.row(this.entries.get(id)!, depth, terms) }));
    const empty = !this.entries.size ? S.noLayers : !vis.length ? S.noMatches : '';
    this.list.replaceChildren(...(empty ? [h('div', { class: 'll-empty' }, empty)] : this.rows.map((r) => r.el)));
    this.countEl.textContent = this.entries.size ? (terms.length ? `${vis.filter((v) => this.matches(this.entries.get(v.id)!, terms)).length} of ${this.entries.size}` : String(this.entries.size)) : '';
  }

  private row(e: LayerEntry, depth: number, terms: string[]): HTMLElement {
    const hasChildren = e.children.length > 0;
    const open = hasChildren && (terms.length > 0 || this.expanded.has(e.id));
    const selected = e.id === this.selected;
    const shape = this.shapeOf(e);
    // The row's tooltip holds the whole of every text the row may cut (label, ops, shape, parameter count).
    const title = [
      shape ? `${e.id}  ${shape}` : e.id,
      e.opTypes.length ? `ops: ${e.opTypes.join(' · ')}` : '',
      e.outputs.length ? `outputs: ${e.outputs.map((v) => `${v} ${formatShape(this.values.get(v)?.shape)}`).join(', ')}` : '',
      e.inputs.length ? `inputs: ${e.inputs.map((v) => `${v} ${formatShape(this.values.get(v)?.shape)}`).join(', ')}` : '',
      `${e.paramCount.toLocaleString('en-US')} parameters${e.paramCount >= 1000 ? ` (${formatCount(e.paramCount)})` : ''} · ${e.nodeCount} node${e.nodeCount === 1 ? '' : 's'}${e.invocations > 1 ? ` · called ${e.invocations}× (last call attributed)` : ''}`,
    ]
      .filter(Boolean)
      .join('\n');
    const twisty = h('span', { class: `ll-twisty${hasChildren ? (open ? ' open' : '') : ' leaf'}`, 'aria-hidden': 'true' });
    twisty.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (hasChildren) this.toggle(e.id);
    });
    const el = h(
      'div',
      {
        class: `ll-tree-row${selected ? ' selected' : ''}`,
        role: 'treeitem',
        'aria-level': depth + 1,
        'aria-selected': selected ? 'true' : 'false',
        'aria-expanded': hasChildren ? String(open) : undefined,
        tabindex: e.id === this.focused ? 0 : -1,
        'data-id': e.id,
        title,
        style: `--depth:${depth}`,
      },
      twisty,
      h('span', { class: 'll-tree-name' }, h('span', { class: 'll-tree-label' }, ...highlight(e.label, terms)), e.opTypes.length ? h('span', { class: 'll-tree-ops' }, e.opTypes.join(' · ')) : null),
      h('span', { class: 'll-tree-shape' }, shape),
      h('span', { class: 'll-tree-params' }, e.paramCount ? formatCount(e.paramCount) : ''),
    );
    el.addEventListener('click', () => {
      this.focused = e.id;
      this.choose(e.id);
    });
    el.addEventListener('dblclick', () => hasChildren && this.toggle(e.id));
    return el;
  }

  private choose(id: string): void {
    if (id !== this.selected) {
      this.selected = id;
      this.opts.onSelect(id);
    }
    this.render();
    this.focusRow(id);
  }

  private toggle(id: string, open = !this.expanded.has(id)): void {
    if (open) this.expanded.add(id);
    else this.expanded.delete(id);
    this.opts.onExpandedChange([...this.expanded]);
    this.render();
    this.focusRow(id);
  }

  private focusRow(id: string): void {
    this.focused = id;
    for (const r of this.rows) r.el.tabIndex = r.id === id ? 0 : -1;
    this.rows.find((r) => r.id === id)?.el.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const i = this.rows.findIndex((r) => r.id === this.focused);
    if (i < 0) return;
    const cur = this.rows[i];
    const entry = this.entries.get(cur.id)!;
    const filtering = this.filter.trim() !== '';
    const isOpen = entry.children.length > 0 && (filtering || this.expanded.has(entry.id));
    const go = (k: number) => this.rows[k] && this.focusRow(this.rows[k].id);
    switch (e.key) {
      case 'ArrowDown':
        go(i + 1);
        break;
      case 'ArrowUp':
        if (i === 0) this.focusFilter();
        else go(i - 1);
        break;
      case 'Home':
        go(0);
        break;
      case 'End':
        go(this.rows.length - 1);
        break;
      case 'ArrowRight':
        if (entry.children.length && !isOpen) this.toggle(entry.id, true);
        else if (isOpen) go(i + 1);
        break;
      case 'ArrowLeft':
        if (isOpen && !filtering) this.toggle(entry.id, false);
        else if (entry.parent) this.focusRow(entry.parent);
        break;
      case 'Enter':
      case ' ':
        this.choose(entry.id);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

/** The label with each filter term's first occurrence marked. */
function highlight(label: string, terms: string[]): (string | HTMLElement)[] {
  const lower = label.toLowerCase();
  const spans: [number, number][] = [];
  for (const t of terms) {
    const at = lower.indexOf(t);
    if (at >= 0) spans.push([at, at + t.length]);
  }
  if (!spans.length) return [label];
  spans.sort((a, b) => a[0] - b[0]);
  const out: (string | HTMLElement)[] = [];
  let pos = 0;
  for (const [a, b] of spans) {
    if (a < pos) continue;
    if (a > pos) out.push(label.slice(pos, a));
    out.push(h('mark', {}, label.slice(a, b)));
    pos = b;
  }
  if (pos < label.length) out.push(label.slice(pos));
  return out;
}
