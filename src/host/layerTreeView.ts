/**
 * The LayerLens sidebar: the workspace's models, each expanding into its layer tree. Children are fetched
 * from the engine one level (and one page) at a time, so a 20k-node model expands at once; a level with
 * more than PAGE entries is split into ranges.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ValueSummary } from '../engine/api';
import type { WireLayerSummary } from '../shared/engineWire';
import { Services } from './services';
import { S } from './strings';

const VIEW_ID = 'layerlens.models';
const PAGE = 500;

export type TreeNode = ModelNode | LayerNode | RangeNode | MessageNode;

export interface ModelNode {
  kind: 'model';
  key: string;
  uri: vscode.Uri;
}
export interface LayerNode {
  kind: 'layer';
  key: string;
  uri: vscode.Uri;
  layer: WireLayerSummary;
  parentNode: TreeNode;
}
export interface RangeNode {
  kind: 'range';
  key: string;
  uri: vscode.Uri;
  /** The layer whose children these are; undefined: the model's roots. */
  parentLayer?: string;
  start: number;
  end: number;
  parentNode: TreeNode;
}
export interface MessageNode {
  kind: 'message';
  key: string;
  message: string;
  parentNode?: TreeNode;
}

/** The `explainLayer` argument a tree node stands for. */
export function isTreeNode(x: unknown): x is TreeNode {
  return !!x && typeof x === 'object' && typeof (x as TreeNode).kind === 'string' && typeof (x as TreeNode).key === 'string';
}

export class LayerTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** One object per logical node, so reveal() and getParent() see the same identities as getChildren(). */
  private readonly nodes = new Map<string, TreeNode>();

  constructor(private readonly s: Services) {}

  dispose(): void {
    this.changed.dispose();
  }

  refresh(): void {
    this.nodes.clear();
    this.changed.fire(undefined);
  }

  getTreeItem(n: TreeNode): vscode.TreeItem {
    switch (n.kind) {
      case 'model': {
        const item = new vscode.TreeItem(n.uri, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = n.key;
        item.iconPath = vscode.ThemeIcon.File;
        item.description = folderLabel(n.uri);
        item.tooltip = n.uri.fsPath;
        item.contextValue = 'layerlens.model';
        return item;
      }
      case 'layer': {
        const l = n.layer;
        const item = new vscode.TreeItem(l.label || l.id, l.childCount ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = n.key;
        item.description = layerDescription(l);
        item.tooltip = layerTooltip(l);
        item.iconPath = new vscode.ThemeIcon(l.kind === 'module' ? 'symbol-class' : 'symbol-method');
        item.contextValue = 'layerlens.layer';
        return item;
      }
      case 'range': {
        const item = new vscode.TreeItem(S.moreLayers(n.start, n.end - 1), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = n.key;
        item.contextValue = 'layerlens.range';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(n.message, vscode.TreeItemCollapsibleState.None);
        item.id = n.key;
        item.tooltip = n.message;
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
    }
  }

  getParent(n: TreeNode): TreeNode | undefined {
    return n.kind === 'model' ? undefined : n.parentNode;
  }

  async getChildren(n?: TreeNode): Promise<TreeNode[]> {
    if (!n) return (await findWorkspaceModels()).map((uri) => this.modelNode(uri));
    if (n.kind === 'message') return [];
    if (n.kind === 'range') return this.page(n.uri, n.parentLayer, n, n.start, n.end - n.start);
    if (n.kind === 'layer' && !n.layer.childCount) return [];
    const parentLayer = n.kind === 'layer' ? n.layer.id : undefined;
    return this.level(n.uri, parentLayer, n);
  }

  /** One level: its entries, or ranges of PAGE entries when it is long. */
  private async level(uri: vscode.Uri, parentLayer: string | undefined, parentNode: TreeNode): Promise<TreeNode[]> {
    try {
      const first = await this.s.engine.layers({ model: uri.fsPath, parent: parentLayer, offset: 0, limit: PAGE });
      if (first.total <= PAGE) return first.entries.map((l) => this.layerNode(uri, l, parentNode));
      const ranges: TreeNode[] = [];
      for (let start = 0; start < first.total; start += PAGE) ranges.push(this.rangeNode(uri, parentLayer, start, Math.min(first.total, start + PAGE), parentNode));
      return ranges;
    } catch (e) {
      return [this.message(parentNode, S.treeLoadFailed((e as Error).message))];
    }
  }

  private async page(uri: vscode.Uri, parentLayer: string | undefined, parentNode: TreeNode, offset: number, limit: number): Promise<TreeNode[]> {
    try {
      const res = await this.s.engine.layers({ model: uri.fsPath, parent: parentLayer, offset, limit });
      return res.entries.map((l) => this.layerNode(uri, l, parentNode));
    } catch (e) {
      return [this.message(parentNode, S.treeLoadFailed((e as Error).message))];
    }
  }

  /** The node for a layer, with its ancestors (and ranges) as parents: what reveal() walks up. */
  async nodeForLayer(uri: vscode.Uri, layerId: string): Promise<LayerNode | undefined> {
    const { chain } = await this.s.engine.locateLayer(uri.fsPath, layerId);
    let parent: TreeNode = this.modelNode(uri);
    let node: LayerNode | undefined;
    let parentLayer: string | undefined;
    let siblings = (await this.s.engine.layers({ model: uri.fsPath, offset: 0, limit: 0 })).total;
    for (const l of chain) {
      if (siblings > PAGE) {
        const start = Math.floor(l.index / PAGE) * PAGE;
        parent = this.rangeNode(uri, parentLayer, start, Math.min(siblings, start + PAGE), parent);
      }
      node = this.layerNode(uri, l, parent);
      parent = node;
      parentLayer = l.id;
      siblings = l.childCount;
    }
    return node;
  }

  private modelNode(uri: vscode.Uri): ModelNode {
    const key = `model:${uri.toString()}`;
    let n = this.nodes.get(key) as ModelNode | undefined;
    if (!n) this.nodes.set(key, (n = { kind: 'model', key, uri }));
    return n;
  }

  private layerNode(uri: vscode.Uri, layer: WireLayerSummary, parentNode: TreeNode): LayerNode {
    const key = `layer:${uri.toString()}#${layer.id}`;
    let n = this.nodes.get(key) as LayerNode | undefined;
    if (!n) this.nodes.set(key, (n = { kind: 'layer', key, uri, layer, parentNode }));
    else {
      n.layer = layer;
      n.parentNode = parentNode;
    }
    return n;
  }

  private rangeNode(uri: vscode.Uri, parentLayer: string | undefined, start: number, end: number, parentNode: TreeNode): RangeNode {
    const key = `range:${uri.toString()}#${parentLayer ?? ''}@${start}`;
    let n = this.nodes.get(key) as RangeNode | undefined;
    if (!n) this.nodes.set(key, (n = { kind: 'range', key, uri, parentLayer, start, end, parentNode }));
    else {
      n.end = end;
      n.parentNode = parentNode;
    }
    return n;
  }

  private message(parentNode: TreeNode, message: string): MessageNode {
    return { kind: 'message', key: `message:${parentNode.key}`, message, parentNode };
  }
}

export async function findWorkspaceModels(): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles('**/*.onnx', '**/{node_modules,.git}/**', 10_000);
  return found.filter((u) => u.scheme === 'file').sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** The model's folder relative to the workspace ('' at the top), or its full path outside it. */
function folderLabel(uri: vscode.Uri): string | undefined {
  const dir = vscode.Uri.file(path.dirname(uri.fsPath));
  const folder = vscode.workspace.getWorkspaceFolder(dir);
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  if (!folder) return dir.fsPath;
  if (folder.uri.fsPath === dir.fsPath) return multiRoot ? folder.name : undefined;
  return vscode.workspace.asRelativePath(dir, multiRoot);
}

export function shapeText(v: ValueSummary): string {
  return v.shape ? `[${v.shape.map((d) => d ?? '?').join('×')}]` : '';
}

function layerDescription(l: WireLayerSummary): string {
  const ops = l.opTypes.slice(0, 3).join(', ') + (l.opTypes.length > 3 ? ', …' : '');
  const shapes = l.outputs.map(shapeText).filter(Boolean).join(' ');
  return shapes ? `${ops} → ${shapes}` : ops;
}

function layerTooltip(l: WireLayerSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMd(l.id)}**\n\n`);
  md.appendMarkdown(`${l.opTypes.map((o) => `\`${o}\``).join(' ')}\n\n`);
  // Inside a code span Markdown escapes are shown literally: only a backtick needs replacing there.
  const values = (vs: ValueSummary[]) => vs.map((v) => `\`${v.name.replace(/`/g, "'")}\` ${v.dtype} ${shapeText(v)}`).join('  \n');
  if (l.inputs.length) md.appendMarkdown(`${S.layerInputs}:  \n${values(l.inputs)}\n\n`);
  if (l.outputs.length) md.appendMarkdown(`${S.layerOutputs}:  \n${values(l.outputs)}\n\n`);
  if (l.paramCount) md.appendMarkdown(`${S.layerTooltipParams(l.paramCount)}\n\n`);
  if (l.invocations > 1) md.appendMarkdown(`${S.layerTooltipCalls(l.invocations)}\n\n`);
  return md;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** Creates the tree view, its refresh command and file watcher, and the reveal hook the inspector uses. */
export function registerLayerTree(s: Services): { provider: LayerTreeProvider; view: vscode.TreeView<TreeNode> } {
  const provider = new LayerTreeProvider(s);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.onnx');
  const refresh = (): void => provider.refresh();
  s.context.subscriptions.push(
    provider,
    view,
    watcher,
    watcher.onDidCreate(refresh),
    watcher.onDidDelete(refresh),
    vscode.commands.registerCommand('layerlens.refreshModels', refresh),
  );
  s.revealLayer = (model, layerId) => {
    // Only follow the inspector when the user has the sidebar open; never pull it open.
    if (!view.visible) return;
    void provider
      .nodeForLayer(model, layerId)
      .then((node) => (node ? view.reveal(node, { select: true, focus: false, expand: false }) : undefined))
      .then(undefined, (e: unknown) => s.log.debug(`reveal ${layerId}: ${(e as Error).message}`));
  };
  return { provider, view };
}
