/**
 * What the "What changed" page shows of a comparison (`GET /runs/{id}/comparison`, docs/drift.md):
 * plain words per lineage status, and the flows of the Sankey between the baseline's personas and
 * this run's.
 */

import type { BasePersona, Comparison, NewPersona } from "./api";

export type LineageStatus = BasePersona["status"] | NewPersona["status"];

/** How a status reads to an analyst: badge text, one sentence, and badge colours (dark on light, ≥ 4.5:1). */
export const STATUS: Record<LineageStatus, { label: string; meaning: string; ink: string; fill: string }> = {
  continued: { label: "continued", meaning: "the same persona as in the baseline, with no clear change in its share: within ×1.5 either way, too few members to tell, or moved only where this run's fit drew its edges (its reason says which)", ink: "#1f3a5f", fill: "#e3ebf5" },
  grown: { label: "grown", meaning: "the same persona, now a clearly larger share (×1.5 or more; where both runs keep member samples, also with their members placed on the baseline's personas)", ink: "#0b5d3b", fill: "#dcf2e6" },
  shrunk: { label: "shrunk", meaning: "the same persona, now a clearly smaller share (÷1.5 or more; where both runs keep member samples, also with their members placed on the baseline's personas)", ink: "#8a3b00", fill: "#fde8d7" },
  split: { label: "split", meaning: "one baseline persona became several personas here", ink: "#5b2a86", fill: "#efe4f8" },
  merged: { label: "merged", meaning: "several baseline personas became one persona here", ink: "#004f7a", fill: "#dcedf8" },
  born: { label: "new", meaning: "no persona of the baseline matches it", ink: "#0b5d3b", fill: "#c9ecd9" },
  died: { label: "gone", meaning: "no persona of this run matches it", ink: "#9b1c1c", fill: "#fbe0e0" },
};

/** Sankey colours: a lineage kept (or split/merged), and the two bands that balance the sides. */
export const FLOW_COLORS = { kept: "#0072B2", arrived: "#009E73", gone: "#D55E00" } as const;
/** The two balancing nodes: share a run's personas gained beyond their links (larger shares, born personas) and
 * share the baseline's could not pass on (smaller shares, died personas). Not "Growth" / "Shrinkage": an airline
 * review read an orange "Shrinkage 14.0%" beside 0 personas shrunk (the statuses' words; those personas were
 * re-drawn). They name new / gone personas only when
 * the comparison has some: with none born or died, growth and shrinkage alone flow through them. */
export const ARRIVED = "Larger shares, new personas";
export const GONE = "Smaller shares, gone personas";

export function arrivedLabel(c: Comparison): string {
  return c.new_personas.some((p) => p.status === "born") ? ARRIVED : "Larger shares";
}

export function goneLabel(c: Comparison): string {
  return c.base_personas.some((p) => p.status === "died") ? GONE : "Smaller shares";
}

export type FlowSide = "base" | "new" | "arrived" | "gone";

/** A Sankey node: a persona of either run, or one of the balancing nodes. */
export type FlowNode = {
  name: string;
  side: FlowSide;
  /** persona id in its run (null for the balancing nodes) */
  id: number | null;
  status: LineageStatus | null;
  /** share of its run's members (balancing nodes: the share they stand for) */
  share: number;
  /** balancing nodes: the part of `share` that is born (left) or died (right) personas; the rest is the growth
   * or shrinkage of personas both runs have ("Personas with no counterpart" on the page is this part) */
  part?: number;
};

export type FlowLink = { source: number; target: number; value: number; kind: "kept" | "arrived" | "gone" };

const EPS = 1e-6;
/** Balancing bands thinner than this share are not drawn unless the persona is new, gone, grown or shrunk:
 * removing one persona re-normalises every other share a little, which is not a change of its own. */
const MIN_BALANCE = 0.01;

/** Base id → new ids it links to, from the comparison's match and piece links. */
function linksByBase(c: Comparison): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const l of c.links) out.set(l.base_id, [...(out.get(l.base_id) ?? []), l.new_id]);
  return out;
}

/** New personas in the order of their first linked base persona (born ones last), so bands rarely cross. */
function newOrder(c: Comparison, baseOrder: number[]): NewPersona[] {
  const rank = new Map(baseOrder.map((id, i) => [id, i]));
  const firstBase = (p: NewPersona) => {
    const ranks = c.links.filter((l) => l.new_id === p.id).map((l) => rank.get(l.base_id) ?? Infinity);
    return ranks.length ? Math.min(...ranks) : Infinity;
  };
  return [...c.new_personas].sort((a, b) => firstBase(a) - firstBase(b) || b.now.share - a.now.share);
}

/** Recurring members that count for a band's split (LineageConfig.min_shared_members, written in the result). */
function minShared(c: Comparison): number {
  const v = Number((c.config as Record<string, unknown> | undefined)?.min_shared_members);
  return Number.isFinite(v) && v >= 1 ? v : 10;
}

/** Whether the movers' matrix counts the members themselves (member ids, identical texts): a run of messages counts
 * authors, each once where they wrote most, which says little of where a persona's messages went. */
export function membersRecur(c: Comparison): boolean {
  return c.movers?.key === "member" || c.movers?.key === "text";
}

/** Recurring members per (base id, new id) pair, from the movers' transition matrix, and the evidence floor; none
 * where the matrix counts authors rather than members (``membersRecur``). */
function recurringCounts(c: Comparison): { count: Map<string, number>; least: number } {
  const count = new Map<string, number>();
  for (const t of membersRecur(c) ? (c.movers?.matrix ?? []) : []) count.set(`${t.from_id}:${t.to_id}`, t.count);
  return { count, least: minShared(c) };
}

/** How a base persona's share is shared out among its linked personas: by where its recurring members went when
 * at least ``min_shared_members`` of them are in those personas (an analyst review: a split's bands followed the
 * pieces' sizes, not where the baseline persona's conversations were found), else by the linked personas' shares
 * now. */
function bandWeights(
  b: BasePersona,
  targets: NewPersona[],
  moved: { count: Map<string, number>; least: number },
): (n: NewPersona) => number {
  const counts = targets.map((n) => moved.count.get(`${b.id}:${n.id}`) ?? 0);
  const recurring = counts.reduce((s, v) => s + v, 0);
  if (targets.length > 1 && recurring >= moved.least) {
    const byId = new Map(targets.map((n, i) => [n.id, counts[i] ?? 0]));
    return (n) => byId.get(n.id) ?? 0;
  }
  return (n) => n.now.share;
}

/**
 * The Sankey of a comparison, in shares of each run's members (percentage points).
 *
 * Left: the baseline's personas (height = share then) and "Larger shares, new personas"; right: this run's
 * personas (height = share now) and "Smaller shares, gone personas". Each baseline persona's share flows to
 * the personas it is linked to (one-to-one matches, split pieces, merged parts) as its recurring members went
 * (``bandWeights``), else in proportion to their shares now; a persona that receives more than its share now takes a proportional part of each band;
 * what a baseline persona could not pass on flows to "Gone" (died, shrunk), what a persona of this run
 * did not receive comes from "New" (born, grown). Bands under 1 point of share that only re-normalise
 * (MIN_BALANCE) are left out, so a bar is at most that much shorter than its share (its label says it).
 */
export function lineageFlows(c: Comparison): { nodes: FlowNode[]; links: FlowLink[] } {
  const base = [...c.base_personas].sort((a, b) => b.then.share - a.then.share);
  const order = newOrder(c, base.map((b) => b.id));
  const newById = new Map(c.new_personas.map((p) => [p.id, p]));
  const byBase = linksByBase(c);

  // offers from each base persona to its linked personas: as its recurring members went, else by their shares now
  const moved = recurringCounts(c);
  const offers: { b: BasePersona; n: NewPersona; value: number }[] = [];
  for (const b of base) {
    const targets = (byBase.get(b.id) ?? []).map((id) => newById.get(id)).filter((n): n is NewPersona => !!n);
    const weight = bandWeights(b, targets, moved);
    const total = targets.reduce((s, n) => s + weight(n), 0);
    for (const n of targets) offers.push({ b, n, value: total > 0 ? (b.then.share * weight(n)) / total : 0 });
  }
  const received = new Map<number, number>();
  for (const o of offers) received.set(o.n.id, (received.get(o.n.id) ?? 0) + o.value);
  const kept = offers.map((o) => {
    const got = received.get(o.n.id) ?? 0;
    return { ...o, value: got > o.n.now.share ? (o.value * o.n.now.share) / got : o.value };
  });

  const nodes: FlowNode[] = base.map((b) => ({ name: b.name, side: "base", id: b.id, status: b.status, share: b.then.share }));
  const newIndex = new Map<number, number>();
  const rightStart = nodes.length + 1;
  order.forEach((n, i) => newIndex.set(n.id, rightStart + i));

  const links: FlowLink[] = [];
  const passed = new Map<number, number>();
  const filled = new Map<number, number>();
  base.forEach((b, i) => {
    for (const k of kept.filter((x) => x.b.id === b.id && x.value > EPS)) {
      links.push({ source: i, target: newIndex.get(k.n.id) ?? 0, value: k.value * 100, kind: "kept" });
      passed.set(b.id, (passed.get(b.id) ?? 0) + k.value);
      filled.set(k.n.id, (filled.get(k.n.id) ?? 0) + k.value);
    }
  });

  const arrivedIndex = nodes.length;
  const goneIndex = rightStart + order.length;
  const drawn = (v: number, status: LineageStatus, always: LineageStatus[]) =>
    always.includes(status) || v >= MIN_BALANCE ? v : 0;
  const arrived = order.map((n) => drawn(Math.max(0, n.now.share - (filled.get(n.id) ?? 0)), n.status, ["born", "grown"]));
  const gone = base.map((b) => drawn(Math.max(0, b.then.share - (passed.get(b.id) ?? 0)), b.status, ["died", "shrunk"]));
  const arrivedTotal = arrived.reduce((s, v) => s + v, 0);
  const goneTotal = gone.reduce((s, v) => s + v, 0);
  const bornPart = order.reduce((s, n, i) => s + (n.status === "born" ? (arrived[i] ?? 0) : 0), 0);
  const diedPart = base.reduce((s, b, i) => s + (b.status === "died" ? (gone[i] ?? 0) : 0), 0);
  nodes.push({ name: arrivedLabel(c), side: "arrived", id: null, status: null, share: arrivedTotal, part: bornPart });
  for (const n of order) nodes.push({ name: n.name, side: "new", id: n.id, status: n.status, share: n.now.share });
  nodes.push({ name: goneLabel(c), side: "gone", id: null, status: null, share: goneTotal, part: diedPart });
  arrived.forEach((v, i) => {
    if (v > EPS) links.push({ source: arrivedIndex, target: rightStart + i, value: v * 100, kind: "arrived" });
  });
  gone.forEach((v, i) => {
    if (v > EPS) links.push({ source: i, target: goneIndex, value: v * 100, kind: "gone" });
  });
  return { nodes, links };
}

/**
 * A PSI to three decimals, or more (up to six) where three would round it up to a threshold it is under (an airline review read
 * "PSI 0.100 — stable (under 0.1)" for 0.0996); ml.lineage.shift.psi_figure writes it the same way.
 */
export function psiFigure(shift: { psi: number; moderate: number; major: number }): string {
  let text = "";
  for (let digits = 3; digits <= 6; digits++) {
    text = shift.psi.toFixed(digits);
    if (![shift.moderate, shift.major].some((t) => shift.psi < t && Number(text) >= t)) return text;
  }
  return text;
}

/** "PSI 0.96 (major: 0.25 or more)": the run's population shift with the thresholds written in the result. */
export function shiftWords(shift: Comparison["shift"]): string {
  const { level, moderate, major } = shift;
  const rule =
    level === "major" ? `${major} or more` : level === "moderate" ? `${moderate} to ${major}` : `under ${moderate}`;
  // a turnover the linked PSI cannot show (ml.lineage.shift.turnover): the level is not the PSI's own
  if (shift.note) return `PSI ${psiFigure(shift)} — ${level}: ${shift.note}`;
  return `PSI ${psiFigure(shift)} — ${level} (${rule})`;
}

/** A born or died persona at least this share of its run is named beside a PSI that reads "stable" (docs/drift.md:
 * two halves of one data set show none above 2%). */
export const NOTABLE_TURNOVER = 0.02;

/** " but 1 persona (7.7% of the baseline) is gone": the born and died personas a stable PSI hides, or "". */
export function turnoverWords(c: Pick<Comparison, "base_personas" | "new_personas">): string {
  const died = c.base_personas.filter((p) => p.status === "died" && p.then.share >= NOTABLE_TURNOVER);
  const born = c.new_personas.filter((p) => p.status === "born" && p.now.share >= NOTABLE_TURNOVER);
  const part = (list: { share: number }[], verb: string, of: string) => {
    const total = list.reduce((sum, p) => sum + p.share, 0);
    const n = list.length;
    const floor = `${(100 * NOTABLE_TURNOVER).toFixed(0)}%`; // the page's counts include smaller ones
    return `${n} persona${n === 1 ? "" : "s"} of ${floor} or more (${(100 * total).toFixed(1)}% of ${of}) ${n === 1 ? "is" : "are"} ${verb}`;
  };
  const parts = [
    died.length ? part(died.map((p) => ({ share: p.then.share })), "gone", "the baseline") : "",
    born.length ? part(born.map((p) => ({ share: p.now.share })), "new", "this run") : "",
  ].filter(Boolean);
  return parts.length ? ` but ${parts.join(" and ")}` : "";
}

/** One plain sentence on the size of the shift, for the page's summary. A "stable" PSI beside a persona of 7.7% that
 * is gone read "about the same" (an explorer review: the PSI sums over every persona, one bucket can stay under 0.1). */
export function shiftMeaning(level: Comparison["shift"]["level"], c?: Pick<Comparison, "base_personas" | "new_personas">): string {
  if (level === "major") return "The mix of personas changed a lot: re-read the personas before reusing last run's decisions.";
  if (level === "moderate") return "The mix of personas moved noticeably: check the personas that grew, shrank or are new.";
  const turnover = c ? turnoverWords(c) : "";
  if (turnover) return `By PSI the mix of personas is about the same as in the baseline,${turnover}: read them below.`;
  return "The mix of personas is about the same as in the baseline.";
}

/** Base persona id → name, and new persona id → name, for labels (movers, links). */
export function personaNames(c: Comparison): { base: Map<number, string>; now: Map<number, string> } {
  return {
    base: new Map(c.base_personas.map((p) => [p.id, p.name])),
    now: new Map(c.new_personas.map((p) => [p.id, p.name])),
  };
}
