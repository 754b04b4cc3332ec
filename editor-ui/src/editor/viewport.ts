// Where the canvas looks: the whole flow when it can be read that way, else its beginning at the
// smallest zoom whose text can still be read, and the rest a scroll away. Fitting a 32-node flow
// into a laptop screen at 20% shows a pattern of boxes no one can work with.

export interface Box {
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** Node labels (13px) stay legible down to about 8px on screen. */
export const READABLE_ZOOM = 0.6;
/** Nobody reads a flow larger than life; fitting a small flow stops at 100%. */
export const FIT_MAX_ZOOM = 1;
/** Room kept around the flow, in screen pixels. */
export const FIT_MARGIN = 40;

/**
 * The view of `bounds` (the flow's nodes) inside a canvas of `box`: all of it, centred, when that
 * needs no zoom below READABLE_ZOOM; else READABLE_ZOOM from the flow's left edge and, vertically,
 * near `start` (the flow's entry), so that reading begins where the flow does.
 */
export function readableView(box: Box, bounds: Rect, start: { x: number; y: number } | null): Viewport {
  const room = { width: Math.max(box.width - 2 * FIT_MARGIN, 1), height: Math.max(box.height - 2 * FIT_MARGIN, 1) };
  const fits = Math.min(room.width / Math.max(bounds.width, 1), room.height / Math.max(bounds.height, 1));
  if (fits >= READABLE_ZOOM) {
    const zoom = Math.min(fits, FIT_MAX_ZOOM);
    return {
      x: box.width / 2 - (bounds.x + bounds.width / 2) * zoom,
      y: box.height / 2 - (bounds.y + bounds.height / 2) * zoom,
      zoom,
    };
  }
  const zoom = READABLE_ZOOM;
  // Reading starts at the flow's left edge; vertically at its top, unless the entry lies further
  // down than a third of the screen, which then puts the entry a third of the way down.
  const third = room.height / zoom / 3;
  const entryY = start?.y ?? bounds.y;
  const top = entryY - bounds.y <= third ? bounds.y : entryY - third;
  return { x: FIT_MARGIN - bounds.x * zoom, y: FIT_MARGIN - top * zoom, zoom };
}
