// The drawing pad: pointer events (mouse, touch, pen), strokes kept as points so undo and
// resizing redraw exactly, and an export that always sends dark ink on white paper.

// Logical sizes, in the pixels of the image sent to the server: a square for one digit, a
// wide strip for a number. The height is the same so a drawing survives a mode switch.
const SIZES = { digit: { width: 280, height: 280 }, number: { width: 560, height: 280 } };
// Brush widths in those pixels; medium is about the stroke width of MNIST digits relative to
// their height. A pen's pressure still varies each width.
export const BRUSHES = { thin: 10, medium: 18, thick: 28 };
// A drawing moved into a smaller pad keeps this much paper around it.
const FIT_MARGIN = 16;
const SVG = "http://www.w3.org/2000/svg";

export class DrawingPad {
  constructor(canvas, overlay, { onStrokeStart, onStrokeEnd, onChange }) {
    this.canvas = canvas;
    this.overlay = overlay;
    this.context = canvas.getContext("2d");
    this.onStrokeStart = onStrokeStart;
    this.onStrokeEnd = onStrokeEnd;
    this.onChange = onChange;
    this.strokes = [];
    this.current = null;
    this.size = SIZES.digit;
    this.brush = BRUSHES.medium;

    canvas.addEventListener("pointerdown", (event) => this.#start(event));
    canvas.addEventListener("pointermove", (event) => this.#extend(event));
    canvas.addEventListener("pointerup", (event) => this.#finish(event));
    canvas.addEventListener("pointercancel", (event) => this.#finish(event));
    new ResizeObserver(() => this.#fitToElement()).observe(canvas);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.redraw());
    this.#fitToElement();
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  /** True while a pointer is down: what is on the pad is not finished yet. */
  get isDrawing() {
    return this.current !== null;
  }

  setBrush(name) {
    this.brush = BRUSHES[name] ?? BRUSHES.medium;
  }

  /** A new pad shape keeps the whole drawing: shrunk and centred when it would not fit. */
  setMode(mode) {
    this.size = SIZES[mode] ?? SIZES.digit;
    this.strokes = fitStrokes(this.strokes, this.size);
    this.overlay.setAttribute("viewBox", `0 0 ${this.size.width} ${this.size.height}`);
    this.showBoxes([]);
    this.#fitToElement();
  }

  undo() {
    this.strokes.pop();
    this.#changed();
  }

  clear() {
    this.strokes = [];
    this.#changed();
  }

  /** The drawing as a PNG of the logical size, black ink on white whatever the theme. */
  toBlob() {
    const canvas = document.createElement("canvas");
    canvas.width = this.size.width;
    canvas.height = this.size.height;
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    for (const stroke of this.strokes) drawStroke(context, stroke, "#000");
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  /** Boxes around each digit read in number mode, in the exported image's pixels. */
  showBoxes(digits) {
    this.overlay.replaceChildren(...digits.map((digit) => boxElement(digit)));
  }

  redraw() {
    const { context, canvas } = this;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.setTransform(canvas.width / this.size.width, 0, 0, canvas.height / this.size.height, 0, 0);
    const ink = getComputedStyle(canvas).getPropertyValue("--ink").trim() || "#111";
    for (const stroke of this.strokes) drawStroke(context, stroke, ink);
    if (this.current) drawStroke(context, this.current, ink);
  }

  #fitToElement() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width * ratio));
    const height = Math.max(1, Math.round(rect.height * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.redraw();
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    // A mouse reports pressure 0.5 while pressed; only a pen varies it.
    const pressure = event.pointerType === "pen" && event.pressure > 0 ? event.pressure : 0.5;
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.size.width,
      y: ((event.clientY - rect.top) / rect.height) * this.size.height,
      width: this.brush * (0.6 + 0.8 * pressure),
    };
  }

  #start(event) {
    if (this.current || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.current = { pointerId: event.pointerId, points: [this.#point(event)] };
    this.showBoxes([]);
    this.redraw();
    this.onStrokeStart();
  }

  #extend(event) {
    if (!this.current || event.pointerId !== this.current.pointerId) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [event];
    for (const each of events.length ? events : [event]) this.current.points.push(this.#point(each));
    this.redraw();
  }

  #finish(event) {
    if (!this.current || event.pointerId !== this.current.pointerId) return;
    const stroke = this.current;
    this.current = null;
    if (event.type === "pointerup") {
      this.strokes.push(stroke);
      this.#changed();
      this.onStrokeEnd();
    } else {
      this.redraw();
    }
  }

  #changed() {
    this.redraw();
    this.onChange();
  }
}

/** Strokes moved (and, if they do not fit, shrunk) so that all of them lie inside `size`. */
function fitStrokes(strokes, size) {
  const points = strokes.flatMap((stroke) => stroke.points);
  if (points.length === 0) return strokes;
  const reach = (point) => point.width / 2;
  const left = Math.min(...points.map((p) => p.x - reach(p)));
  const right = Math.max(...points.map((p) => p.x + reach(p)));
  const top = Math.min(...points.map((p) => p.y - reach(p)));
  const bottom = Math.max(...points.map((p) => p.y + reach(p)));
  if (left >= 0 && top >= 0 && right <= size.width && bottom <= size.height) return strokes;
  const scale = Math.min(
    1,
    (size.width - 2 * FIT_MARGIN) / (right - left),
    (size.height - 2 * FIT_MARGIN) / (bottom - top),
  );
  const dx = (size.width - (right - left) * scale) / 2;
  const dy = (size.height - (bottom - top) * scale) / 2;
  const move = (p) => ({ x: (p.x - left) * scale + dx, y: (p.y - top) * scale + dy, width: p.width * scale });
  return strokes.map((stroke) => ({ ...stroke, points: stroke.points.map(move) }));
}

/** A smooth stroke: quadratic curves through the midpoints, round ends, width per point. */
function drawStroke(context, stroke, colour) {
  const points = stroke.points;
  context.strokeStyle = colour;
  context.fillStyle = colour;
  context.lineCap = "round";
  context.lineJoin = "round";
  if (points.length === 1) {
    context.beginPath();
    context.arc(points[0].x, points[0].y, points[0].width / 2, 0, Math.PI * 2);
    context.fill();
    return;
  }
  let from = points[0];
  for (let i = 1; i < points.length; i++) {
    const point = points[i];
    const next = points[i + 1];
    const to = next ? { x: (point.x + next.x) / 2, y: (point.y + next.y) / 2 } : point;
    context.beginPath();
    context.lineWidth = point.width;
    context.moveTo(from.x, from.y);
    context.quadraticCurveTo(point.x, point.y, to.x, to.y);
    context.stroke();
    from = to;
  }
}

function boxElement(digit) {
  const [x, y, width, height] = digit.box;
  const group = document.createElementNS(SVG, "g");
  group.setAttribute("class", digit.is_digit ? "box" : "box is-unsure");
  const rect = document.createElementNS(SVG, "rect");
  for (const [name, value] of Object.entries({ x, y, width, height, rx: 6 })) {
    rect.setAttribute(name, value);
  }
  const label = document.createElementNS(SVG, "text");
  label.setAttribute("x", x + width / 2);
  label.setAttribute("y", Math.max(18, y - 8));
  label.textContent = `${digit.is_digit ? digit.digit : "?"} · ${Math.round(digit.confidence * 100)}%`;
  group.append(rect, label);
  return group;
}

export { boxElement };
