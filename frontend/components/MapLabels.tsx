/** Persona names on the member map: each at its persona's centre, shifted clear of the names already placed,
 * and left off where no free row is near (the legend names every persona). */

import { usePlotArea } from "recharts";

import { textWidth } from "@/components/PersonaTreemap";
import { textOn } from "@/lib/colors";

export interface LabelProps {
  cx?: number;
  cy?: number;
  payload?: { key: string; name: string; color: string; anchor?: "start" | "middle" | "end"; full?: boolean };
}

export interface LabelBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** The boxes of the names placed on the map, by label key, and each shown label's rank (larger groups first). */
export interface Placement {
  boxes: Map<string, LabelBox>;
  rank: Map<string, number>;
}

const LABEL_H = 15;
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

function labelText(name: string, full = false): string {
  return full || name.length <= 28 ? name : `${name.slice(0, 27)}…`;
}

/**
 * The vertical shift (px) that keeps a label clear of the names of larger groups (lower `rank`): its centre, else
 * the nearest free row above or below within 3 rows that stays inside the plot (`top`..`bottom`); null when none is
 * free (the name is left off rather than drawn over another: the legend names it, and pointing at it there shows
 * it). Records its box under its key, so rendering a label again (React may) gives the same answer.
 */
export function freeRow({ cx = 0, cy = 0, payload }: LabelProps, placement: Placement, top: number, bottom: number):
  number | null {
  if (!payload) return 0;
  const own = placement.rank.get(payload.key) ?? Infinity;
  const earlier = [...placement.boxes].filter(([key]) => (placement.rank.get(key) ?? Infinity) < own).map(([, b]) => b);
  const w = textWidth(labelText(payload.name, payload.full), LABEL_FONT, 7.2) + 4;
  const anchor = payload.anchor ?? "middle";
  const x0 = anchor === "start" ? cx : anchor === "end" ? cx - w : cx - w / 2;
  const clear = (b: LabelBox) => earlier.every((o) => b.x1 <= o.x0 || b.x0 >= o.x1 || b.y1 <= o.y0 || b.y0 >= o.y1);
  for (const dy of [0, -LABEL_H, LABEL_H, -2 * LABEL_H, 2 * LABEL_H, -3 * LABEL_H, 3 * LABEL_H]) {
    const box = { x0, x1: x0 + w, y0: cy + dy - LABEL_H / 2, y1: cy + dy + LABEL_H / 2 };
    const inside = dy === 0 || (box.y0 >= top && box.y1 <= bottom);
    if (inside && clear(box)) {
      placement.boxes.set(payload.key, box);
      return dy;
    }
  }
  placement.boxes.delete(payload.key);
  return null;
}

/** A persona's (or family's) name, placed by `freeRow` inside the plot area (``usePlotArea``), or left off. */
export function PlacedLabel(props: LabelProps & { placement: Placement }) {
  const area = usePlotArea();
  const top = area ? area.y : -Infinity;
  const bottom = area ? area.y + area.height : Infinity;
  const dy = freeRow(props, props.placement, top, bottom);
  return dy === null ? <HiddenLabel {...props} /> : <MapLabel {...props} dy={dy} />;
}

/** A name left off the map (no free row near its centre): an empty mark, so tests and tools can count them. */
function HiddenLabel({ payload }: LabelProps) {
  return <g data-testid="map-label-off" data-label={payload?.name ?? ""} />;
}

/** A persona's (or family's) name at its centre (shifted `dy` px clear of other names), on a white halo so it reads over the dots. */
function MapLabel({ cx = 0, cy = 0, payload, dy = 0 }: LabelProps & { dy?: number }) {
  if (!payload) return <g />;
  const name = labelText(payload.name, payload.full);
  return (
    <g pointerEvents="none" data-testid="map-label" data-label={payload.name}>
      <text
        x={cx}
        y={cy + dy}
        textAnchor={payload.anchor ?? "middle"}
        dominantBaseline="middle"
        fontSize={12}
        fontWeight={600}
        stroke="#ffffff"
        strokeWidth={3.5}
        strokeLinejoin="round"
        paintOrder="stroke"
        fill={textOn(payload.color) === "#ffffff" ? payload.color : "#222"}
      >
        {name}
      </text>
    </g>
  );
}
