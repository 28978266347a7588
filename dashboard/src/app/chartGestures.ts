import type uPlot from "uplot";

/** Closer than this the time axis does not zoom (seconds): a pinch cannot collapse it to nothing. */
const MIN_SPAN_S = 1;

/** The axis range `[min, max]` zoomed by `factor` (below 1: in) so that `anchor` stays where it is. */
export function zoomAround(min: number, max: number, anchor: number, factor: number): [number, number] {
  const span = Math.max(MIN_SPAN_S, (max - min) * factor);
  const at = max > min ? (anchor - min) / (max - min) : 0.5;
  return [anchor - at * span, anchor + (1 - at) * span];
}

/**
 * The range under two fingers: the time that was under their midpoint stays under their midpoint,
 * and the span shrinks or grows as the fingers' distance grows or shrinks. Positions in pixels
 * from the plot's left edge, `width` its width.
 */
export function pinchRange(start: [number, number], from: [number, number], to: [number, number], width: number): [number, number] {
  const [min, max] = start;
  const perPx = (max - min) / width;
  const anchor = min + ((from[0] + from[1]) / 2) * perPx;
  const span = Math.max(MIN_SPAN_S, ((max - min) * Math.abs(from[0] - from[1])) / Math.max(1, Math.abs(to[0] - to[1])));
  const left = anchor - (((to[0] + to[1]) / 2) / width) * span;
  return [left, left + span];
}

/**
 * Touch and wheel on a uPlot chart's time axis, beside uPlot's own mouse drag-zoom: two fingers
 * pinch to zoom, one finger drags the time along, Ctrl + wheel (also a trackpad's pinch) zooms
 * around the pointer and sideways scrolling (Shift + wheel) moves along. Plain vertical scrolling
 * still scrolls the page. The listeners live on the chart's own element and go with it.
 */
export function attachTimeGestures(u: uPlot): void {
  const over = u.over;
  const fingers = new Map<number, number>();
  let start: { range: [number, number]; xs: number[] } | undefined;
  const range = (): [number, number] => [u.scales.x.min!, u.scales.x.max!];
  const setRange = ([min, max]: [number, number]) => u.setScale("x", { min, max });
  const local = (clientX: number) => clientX - over.getBoundingClientRect().left;
  // Each change in the number of fingers starts the gesture again from where the chart is.
  const begin = () => (start = fingers.size ? { range: range(), xs: [...fingers.values()] } : undefined);

  const down = (e: PointerEvent) => {
    if (e.pointerType !== "touch") return;
    over.setPointerCapture(e.pointerId);
    fingers.set(e.pointerId, local(e.clientX));
    begin();
  };
  const move = (e: PointerEvent) => {
    if (!fingers.has(e.pointerId) || !start) return;
    fingers.set(e.pointerId, local(e.clientX));
    const xs = [...fingers.values()];
    const width = over.clientWidth;
    if (xs.length === 1 && start.xs.length === 1) {
      const shift = ((start.xs[0] - xs[0]) * (start.range[1] - start.range[0])) / width;
      setRange([start.range[0] + shift, start.range[1] + shift]);
    } else if (xs.length >= 2 && start.xs.length >= 2) {
      setRange(pinchRange(start.range, [start.xs[0], start.xs[1]], [xs[0], xs[1]], width));
    }
  };
  const up = (e: PointerEvent) => {
    if (!fingers.delete(e.pointerId)) return;
    begin();
  };
  const wheel = (e: WheelEvent) => {
    const [min, max] = range();
    const width = over.clientWidth;
    if (e.ctrlKey) {
      e.preventDefault();
      setRange(zoomAround(min, max, u.posToVal(local(e.clientX), "x"), Math.exp(e.deltaY * 0.002)));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      const shift = ((e.deltaX || e.deltaY) * (max - min)) / width;
      setRange([min + shift, max + shift]);
    }
  };
  over.addEventListener("pointerdown", down);
  over.addEventListener("pointermove", move);
  over.addEventListener("pointerup", up);
  over.addEventListener("pointercancel", up);
  over.addEventListener("wheel", wheel, { passive: false });
}
