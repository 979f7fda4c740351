/**
 * A picture in the Predictions panel that the user points at: the input with a detector's boxes, a segmentation's
 * class map, an image output. Boxes are drawn as outlined elements over the canvas (crisp at any zoom); a click
 * reports the point, a drag the rectangle, both in the picture's own pixels.
 */
import { h } from '../dom';

/** `[x0, y0, x1, y1]` as fractions of the picture's width and height. */
export type Rect = [number, number, number, number];

export interface PictureBox {
  rect: Rect;
  /** Extra class names ('chosen', …). */
  className?: string;
  title?: string;
  label?: string;
}

export interface PictureOptions {
  id: string;
  label: string;
  /** A click (a drag shorter than 3 screen pixels): the picture pixel under the pointer. */
  onPoint?: (x: number, y: number) => void;
  /** A drag: the picture pixels it covers, half-open. Without it, drags are clicks. */
  onDrag?: (box: { x0: number; y0: number; x1: number; y1: number }) => void;
}

export class OutputPicture {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly overlay: HTMLElement;
  private readonly rubber: HTMLElement;
  private drag?: { x: number; y: number; pointer: number; moved: boolean };

  constructor(private readonly opts: PictureOptions) {
    this.canvas = h('canvas', { class: 'll-out-canvas', width: 1, height: 1, role: 'img', 'aria-label': opts.label });
    this.overlay = h('div', { class: 'll-out-boxes', 'aria-hidden': 'true' });
    this.rubber = h('div', { class: 'll-out-box rubber' });
    this.rubber.hidden = true;
    this.el = h('div', { class: `ll-out-picture${opts.onDrag ? ' draggable' : opts.onPoint ? ' pointable' : ''}`, id: opts.id }, this.canvas, this.overlay, this.rubber);
    if (opts.onPoint || opts.onDrag) {
      this.el.addEventListener('pointerdown', (e) => this.down(e));
      this.el.addEventListener('pointermove', (e) => this.move(e));
      this.el.addEventListener('pointerup', (e) => this.up(e));
      this.el.addEventListener('pointercancel', () => this.cancelDrag());
    }
  }

  get width(): number {
    return this.canvas.width;
  }

  get height(): number {
    return this.canvas.height;
  }

  /** Paints RGBA pixels (`width × height × 4` bytes). Small pictures are enlarged with crisp pixels by CSS. */
  setPixels(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): void {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.el.style.aspectRatio = `${width} / ${height}`;
    this.canvas.classList.toggle('pixelated', width < 256);
    const bytes = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, width * height * 4);
    this.canvas.getContext('2d')!.putImageData(new ImageData(bytes, width, height), 0, 0);
  }

  setBoxes(boxes: readonly PictureBox[]): void {
    this.overlay.replaceChildren(
      ...boxes.map((b) => {
        const [x0, y0, x1, y1] = b.rect.map((v) => Math.max(0, Math.min(1, v)));
        const el = h('div', { class: `ll-out-box${b.className ? ` ${b.className}` : ''}`, ...(b.title ? { title: b.title } : {}) }, b.label ? h('span', { class: 'll-out-box-label' }, b.label) : null);
        el.style.left = `${x0 * 100}%`;
        el.style.top = `${y0 * 100}%`;
        el.style.width = `${Math.max(0, x1 - x0) * 100}%`;
        el.style.height = `${Math.max(0, y1 - y0) * 100}%`;
        return el;
      }),
    );
  }

  /** The picture pixel under a client point (clamped to the picture). */
  private pixelAt(clientX: number, clientY: number): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    const fx = r.width ? (clientX - r.left) / r.width : 0;
    const fy = r.height ? (clientY - r.top) / r.height : 0;
    return { x: Math.max(0, Math.min(this.width - 1, Math.floor(fx * this.width))), y: Math.max(0, Math.min(this.height - 1, Math.floor(fy * this.height))) };
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.el.setPointerCapture?.(e.pointerId);
    this.drag = { x: e.clientX, y: e.clientY, pointer: e.pointerId, moved: false };
  }

  private move(e: PointerEvent): void {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointer || !this.opts.onDrag) return;
    if (!d.moved && Math.hypot(e.clientX - d.x, e.clientY - d.y) < 3) return;
    d.moved = true;
    const box = this.dragBox(d, e);
    this.rubber.hidden = false;
    this.rubber.style.left = `${(box.x0 / this.width) * 100}%`;
    this.rubber.style.top = `${(box.y0 / this.height) * 100}%`;
    this.rubber.style.width = `${((box.x1 - box.x0) / this.width) * 100}%`;
    this.rubber.style.height = `${((box.y1 - box.y0) / this.height) * 100}%`;
  }

  private up(e: PointerEvent): void {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointer) return;
    this.cancelDrag();
    if (d.moved && this.opts.onDrag) this.opts.onDrag(this.dragBox(d, e));
    else {
      const p = this.pixelAt(e.clientX, e.clientY);
      if (this.opts.onPoint) this.opts.onPoint(p.x, p.y);
      else this.opts.onDrag?.({ x0: p.x, y0: p.y, x1: p.x + 1, y1: p.y + 1 });
    }
  }

  private cancelDrag(): void {
    this.drag = undefined;
    this.rubber.hidden = true;
  }

  /** The pixels between the drag's start and this event, both corners included. */
  private dragBox(d: { x: number; y: number }, e: PointerEvent): { x0: number; y0: number; x1: number; y1: number } {
    const a = this.pixelAt(d.x, d.y);
    const b = this.pixelAt(e.clientX, e.clientY);
    return { x0: Math.min(a.x, b.x), y0: Math.min(a.y, b.y), x1: Math.max(a.x, b.x) + 1, y1: Math.max(a.y, b.y) + 1 };
  }
}
