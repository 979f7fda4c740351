/**
 * An image output (super-resolution, denoising, a generator…): the picture the model returned. Dragging a box on
 * it makes the target the sum of the output over the box — `(0, 10:40, 20:60)`, all channels of a colour image —
 * and a click one output pixel, so the heat map says which input pixels and channels made that region.
 */
import { h } from '../dom';
import { formatValue } from '../format';
import { type PixelBox, type WebviewView } from '../outputTargets';
import { OutputPicture } from './outputPicture';

type ImageView = Extract<WebviewView, { role: 'image' }>;

export class OutputImagePanel {
  readonly el: HTMLElement;
  private readonly picture: OutputPicture;
  private readonly caption: HTMLElement;

  constructor(onBox: (box: PixelBox) => void) {
    this.picture = new OutputPicture({ id: 'output-image', label: 'The model output as an image: drag a box or click a pixel to attribute it', onDrag: (b) => onBox({ y0: b.y0, y1: b.y1, x0: b.x0, x1: b.x1 }) });
    this.caption = h('div', { class: 'll-muted ll-small', id: 'output-image-caption' });
    this.el = h('div', { class: 'll-out-view ll-output-image' }, this.picture.el, this.caption);
  }

  show(view: ImageView, example: number, box: PixelBox | undefined): void {
    const [n, height, width] = view.rgba.dims;
    const ex = Math.min(example, n - 1);
    const plane = height * width * 4;
    this.picture.setPixels(width, height, (view.rgba.data as Uint8Array).subarray(ex * plane, (ex + 1) * plane));
    const whole = box && box.y0 === 0 && box.x0 === 0 && box.y1 === height && box.x1 === width;
    this.picture.setBoxes(box && !whole ? [{ rect: [box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height], className: 'chosen' }] : []);
    const where = !box ? '' : whole ? 'Target: the whole output. ' : box.y1 - box.y0 === 1 && box.x1 - box.x0 === 1 ? `Target: pixel y ${box.y0}, x ${box.x0}. ` : `Target: rows ${box.y0}–${box.y1 - 1}, columns ${box.x0}–${box.x1 - 1} (${((box.y1 - box.y0) * (box.x1 - box.x0)).toLocaleString('en-US')} pixels, summed). `;
    this.caption.textContent = `${where}Drag a box or click a pixel to attribute it. ${width} × ${height}, ${formatValue(view.range[0])} … ${formatValue(view.range[1])} drawn black … white (${view.rangeBasis}).`;
  }
}
