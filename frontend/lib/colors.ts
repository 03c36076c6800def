/**
 * Colours chosen to stay distinguishable for common colour-vision deficiencies:
 * Okabe–Ito for categories, a blue–orange diverging ramp and viridis for ordered values.
 */

export const CATEGORICAL = [
  // Okabe–Ito
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  // Paul Tol's muted and light schemes, then greys
  "#332288",
  "#117733",
  "#882255",
  "#44AA99",
  "#999933",
  "#AA4499",
  "#88CCEE",
  "#DDCC77",
  "#661100",
  "#6699CC",
  "#CC6677",
  "#7F7F7F",
  "#000000",
];

export function categoryColor(index: number): string {
  const n = CATEGORICAL.length;
  return CATEGORICAL[((index % n) + n) % n] ?? "#7F7F7F";
}

/** Colours for above / below the population in diverging charts. */
export const ABOVE = "#D55E00";
export const BELOW = "#0072B2";
export const PERSONA_COLOR = "#0072B2";
export const POPULATION_COLOR = "#9A9A9A";

const VIRIDIS = ["#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"];
const DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"];

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function interpolate(stops: string[], t: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5));
  const pos = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = hexToRgb(stops[i] ?? "#000000");
  const b = hexToRgb(stops[i + 1] ?? "#000000");
  const mix = a.map((c, k) => Math.round(c + ((b[k] ?? 0) - c) * f));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

/** Sequential colour for t in [0, 1]. */
export function sequential(t: number): string {
  return interpolate(VIRIDIS, t);
}

/** Diverging colour for t in [-1, 1] (0 = neutral). */
export function diverging(t: number): string {
  return interpolate(DIVERGING, (t + 1) / 2);
}

/** Black or white text, whichever reads better on `rgb(r, g, b)` or `#rrggbb`. */
export function textOn(color: string): string {
  let rgb: number[];
  const m = color.match(/rgb\((\d+),\s*(\d+),\s*(\d+)\)/);
  if (m) rgb = [Number(m[1]), Number(m[2]), Number(m[3])];
  else rgb = hexToRgb(color);
  const [r = 0, g = 0, b = 0] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.22 ? "#111111" : "#ffffff";
}

function toHex(rgb: number[]): string {
  return `#${rgb.map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, "0")).join("")}`;
}

/** `hex` mixed towards white (t > 0) or black (t < 0) by |t|. */
export function shade(hex: string, t: number): string {
  const target = t >= 0 ? 255 : 0;
  return toHex(hexToRgb(hex).map((c) => c + (target - c) * Math.abs(t)));
}

/** The k-th of n shades around a base colour, lightest and darkest kept readable. */
function familyShade(base: string, k: number, n: number): string {
  if (n <= 1) return base;
  const steps = [0, 0.45, -0.35, 0.25, -0.55, 0.6, -0.2, 0.35];
  return shade(base, steps[k % steps.length] ?? 0);
}

/**
 * One colour per persona, distinct as long as the palette lasts (`CATEGORICAL`, 20 colours, in the
 * given order). Past that, personas take their family's colour in different shades when the run has
 * families (so a colour still says something), else evenly spread hues.
 */
export function personaColors(ids: number[], families: { id: number; persona_ids: number[] }[] = []): Map<number, string> {
  const out = new Map<number, string>();
  if (ids.length <= CATEGORICAL.length) {
    ids.forEach((id, i) => out.set(id, categoryColor(i)));
    return out;
  }
  if (families.length >= 2) {
    families.forEach((f, i) => {
      const members = f.persona_ids.filter((id) => ids.includes(id));
      members.forEach((id, k) => out.set(id, familyShade(categoryColor(i), k, members.length)));
    });
  }
  ids.forEach((id, i) => {
    if (!out.has(id)) {
      const hue = Math.round((i * 137.508) % 360);
      out.set(id, `hsl(${hue}, 62%, ${i % 2 ? 38 : 55}%)`);
    }
  });
  return out;
}
