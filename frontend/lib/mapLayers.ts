/**
 * What the member map draws, from the API's map points, the persona list and the families: dots grouped
 * by persona, a colour per persona (or per family), name labels at each group's centre and the legend.
 */
import { useMemo } from "react";

import type { Family, MapPoint, PersonaSummary } from "./api";
import { categoryColor, personaColors } from "./colors";

/** A point with map coordinates (a run stored without a 2-D map has none to draw). */
export interface Dot extends MapPoint {
  x: number;
  y: number;
  personaName: string;
}

export interface DotGroup {
  id: number;
  index: number;
  name: string;
  /** All of the persona's members (the map may show a sample of them); null when the list does not say. */
  size: number | null;
  dots: Dot[];
}

export interface MapLabelDatum {
  key: string;
  name: string;
  color: string;
  /** Text anchor: names near the left or right edge of the map run inwards so they are never cut off. */
  anchor: "start" | "middle" | "end";
  x: number;
  y: number;
}

export interface LegendEntry {
  key: number;
  name: string;
  color: string;
  ids: number[];
  /** Dots on the map. */
  count: number;
  /** Members in all (persona or family size), which a sampled map shows only some of; null when unknown. */
  size: number | null;
}

/** Dots per persona, in the persona list's order (personas without placed points left out). */
export function groupDots(points: MapPoint[], personas: PersonaSummary[]): DotGroup[] {
  const names = new Map(personas.map((p) => [p.id, p.name]));
  const sizes = new Map(personas.map((p) => [p.id, p.size]));
  const byPersona = new Map<number, Dot[]>();
  for (const pt of points) {
    const { x, y } = pt;
    if (typeof x !== "number" || typeof y !== "number") continue;
    const dots = byPersona.get(pt.persona_id) ?? [];
    dots.push({ ...pt, x, y, personaName: names.get(pt.persona_id) ?? `Persona ${pt.persona_id}` });
    byPersona.set(pt.persona_id, dots);
  }
  const order = personas.length ? personas.map((p) => p.id) : [...byPersona.keys()].sort((a, b) => a - b);
  return order
    .map((id, index) => ({
      id,
      index,
      name: names.get(id) ?? `Persona ${id}`,
      size: sizes.get(id) ?? null,
      dots: byPersona.get(id) ?? [],
    }))
    .filter((g) => g.dots.length > 0);
}

/** A gap between map coordinates wider than this share of an axis's range is shortened (`shortenGaps`). */
const WIDE_GAP = 0.2;
/** ... to this share of what the axis spans without its wide gaps. */
const SHORT_GAP = 0.04;

/** Values along one axis with every wide empty stretch shortened, order and within-group distances kept; and how
 * many stretches were shortened. */
function shortenAxis(values: number[]): { map: (v: number) => number; gaps: number } {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const range = (sorted[sorted.length - 1] ?? 0) - first;
  const wide: { at: number; cut: number }[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const gap = (sorted[i] as number) - (sorted[i - 1] as number);
    if (range > 0 && gap > WIDE_GAP * range) wide.push({ at: sorted[i] as number, cut: gap });
  }
  if (!wide.length) return { map: (v) => v, gaps: 0 };
  const kept = range - wide.reduce((n, w) => n + w.cut, 0);
  const short = SHORT_GAP * Math.max(kept, range * SHORT_GAP);
  return {
    map: (v) => v - wide.reduce((n, w) => (v >= w.at ? n + w.cut - short : n), 0),
    gaps: wide.length,
  };
}

/**
 * The map's points with wide empty stretches between groups shortened on each axis: the 2-D layout puts a group
 * unlike every other one (TWCS: one author's mince-pie posts) far off, and the scatter then squeezed the other
 * 2,400 dots into a third of the map. Within each side of a gap, distances are as the layout made them; across a
 * shortened gap they are not to scale, which the map's caption says (`gaps`).
 */
export function shortenGaps(points: MapPoint[]): { points: MapPoint[]; gaps: number } {
  const placed = points.filter((p) => typeof p.x === "number" && typeof p.y === "number");
  const xs = shortenAxis(placed.map((p) => p.x as number));
  const ys = shortenAxis(placed.map((p) => p.y as number));
  if (!xs.gaps && !ys.gaps) return { points, gaps: 0 };
  return {
    points: points.map((p) =>
      typeof p.x === "number" && typeof p.y === "number" ? { ...p, x: xs.map(p.x), y: ys.map(p.y) } : p,
    ),
    gaps: xs.gaps + ys.gaps,
  };
}

/** `hidden` with `ids` shown again when all of them were hidden, else with all of them hidden. */
export function toggled(hidden: Set<number>, ids: number[]): Set<number> {
  const next = new Set(hidden);
  const show = ids.every((id) => next.has(id));
  for (const id of ids) {
    if (show) next.delete(id);
    else next.add(id);
  }
  return next;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Name labels at the centre (median x, y) of each shown persona, or of each family; largest first. */
function centreLabels(sets: { key: string; name: string; color: string; dots: Dot[] }[]): MapLabelDatum[] {
  const xs = sets.flatMap((l) => l.dots.map((d) => d.x));
  const lo = Math.min(...xs);
  const span = Math.max(...xs) - lo || 1;
  const anchor = (x: number) => ((x - lo) / span < 0.2 ? "start" : (x - lo) / span > 0.8 ? "end" : "middle");
  return sets
    .filter((l) => l.dots.length > 0)
    .sort((a, b) => b.dots.length - a.dots.length)
    .map((l) => {
      const x = median(l.dots.map((d) => d.x));
      return { key: l.key, name: l.name, color: l.color, x, y: median(l.dots.map((d) => d.y)), anchor: anchor(x) };
    });
}

/** Groups, colours, labels and legend for the chosen colouring (`byFamily`) and the hidden personas. */
export function useMapLayers(raw: MapPoint[] | null, personas: PersonaSummary[], families: Family[],
                             hidden: Set<number>, byFamily: boolean, shorten = true) {
  // a layout's empty stretches are shortened; measured axes (an event run of two personas) are left as they are
  const shortened = useMemo(() => (raw ? (shorten ? shortenGaps(raw) : { points: raw, gaps: 0 }) : null), [raw, shorten]);
  const points = shortened?.points ?? null;
  const groups = useMemo(() => (points ? groupDots(points, personas) : []), [points, personas]);
  const palette = useMemo(() => personaColors(groups.map((g) => g.id), families), [groups, families]);
  const colorOf = useMemo(() => {
    const familyIndex = new Map(families.flatMap((f, i) => f.persona_ids.map((pid) => [pid, i] as [number, number])));
    return (g: { id: number; index: number }) =>
      byFamily ? categoryColor(familyIndex.get(g.id) ?? families.length) : (palette.get(g.id) ?? categoryColor(g.index));
  }, [byFamily, families, palette]);
  const labels = useMemo(() => {
    const shown = groups.filter((g) => !hidden.has(g.id));
    return centreLabels(
      byFamily
        ? families.map((f, i) => ({
            key: `f${f.id}`,
            name: f.name,
            color: categoryColor(i),
            dots: shown.filter((g) => f.persona_ids.includes(g.id)).flatMap((g) => g.dots),
          }))
        : shown.map((g) => ({ key: `p${g.id}`, name: g.name, color: colorOf(g), dots: g.dots })),
    );
  }, [groups, hidden, byFamily, families, colorOf]);
  const legend: LegendEntry[] = byFamily
    ? families.map((f, i) => ({
        key: f.id,
        name: f.name,
        color: categoryColor(i),
        ids: f.persona_ids,
        count: groups.filter((g) => f.persona_ids.includes(g.id)).reduce((n, g) => n + g.dots.length, 0),
        size: f.size,
      }))
    : groups
        .map((g) => ({ key: g.id, name: g.name, color: colorOf(g), ids: [g.id], count: g.dots.length, size: g.size }))
        .sort((a, b) => (b.size ?? 0) - (a.size ?? 0) || a.key - b.key); // largest first, as the overview lists them (a review)
  return { groups, colorOf, labels, legend, gaps: shortened?.gaps ?? 0 };
}
