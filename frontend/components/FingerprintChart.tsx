"use client";

import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import type { FingerprintItem } from "@/lib/api";
import { ABOVE, BELOW } from "@/lib/colors";
import { CLOCK_ENDS, pointedLabel, useFeatureWords } from "@/lib/features";
import { num, pct, termLabel, truncate } from "@/lib/format";

/** A time-of-day bar's colour: its label names the end of the clock it points to ("toward noon"), so higher / lower
 * says nothing (a help-desk review read a "toward noon" bar drawn in the "lower than all members" colour). */
const CLOCK = "#7F7F7F";

interface Row {
  label: string;
  /** The axis label: the whole label, or an event's name cut to two lines (the tooltip has it all). */
  axis: string;
  diff: number;
  item: FingerprintItem;
}

/** The `n` features where the persona differs most from the population (standardised), as a diverging bar chart. */
export function topFingerprint(items: FingerprintItem[], n: number): FingerprintItem[] {
  return items
    .filter((f) => typeof f.std_diff === "number" && Number.isFinite(f.std_diff) && Math.abs(f.std_diff) > 1e-9)
    .sort((a, b) => Math.abs(b.std_diff as number) - Math.abs(a.std_diff as number))
    .slice(0, n);
}

/** Symmetric axis ticks around zero at a readable step (0 always among them). */
export function symmetricTicks(bound: number): number[] {
  const steps = [0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100];
  const step = steps.find((s) => bound / s <= 4) ?? Math.ceil(bound / 4);
  const k = Math.ceil(bound / step - 1e-9);
  return Array.from({ length: 2 * k + 1 }, (_, i) => (i - k) * step);
}

export default function FingerprintChart({ items, n = 12, clock }: { items: FingerprintItem[]; n?: number; clock?: string | null }) {
  const words = useFeatureWords(clock);
  const who = items.some((f) => f.group === "event") ? "users" : "members"; // event runs' members are users
  // an event as the descriptions and top events write it ("event_navigate", "Assignment · Submission form viewed")
  const rows: Row[] = topFingerprint(items, n).map((f) => ({
    label: f.group === "event" ? termLabel(f.feature) : pointedLabel(words.label(f.feature), f.feature, f.std_diff as number),
    axis: f.group === "event" ? truncate(termLabel(f.feature), 44) : pointedLabel(words.axis(f.feature), f.feature, f.std_diff as number),
    diff: f.std_diff as number,
    item: f,
  }));
  if (rows.length === 0) {
    return <p className="state-none">No behavioural feature differs from the population for this persona.</p>;
  }
  // at least ±1 standard deviation: a persona whose largest difference is 0.2 gets short bars, not a full-width one
  const ticks = symmetricTicks(Math.max(1, ...rows.map((r) => Math.abs(r.diff))));
  const edge = ticks[ticks.length - 1] ?? 1;
  return (
    <figure data-testid="fingerprint-chart" style={{ margin: 0 }}>
      <div className="chart" style={{ height: 40 + rows.length * 30 }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 4 }}>
            <CartesianGrid horizontal={false} strokeDasharray="3 3" />
            <XAxis
              type="number"
              domain={[-edge, edge]}
              ticks={ticks}
              tickFormatter={(v: number) => `${v > 0 ? "+" : ""}${v}`}
              tick={{ fontSize: 11 }}
            />
            <YAxis type="category" dataKey="axis" width={clock ? 230 : 200} tick={{ fontSize: 12 }} interval={0} />
            <ReferenceLine x={0} stroke="#555" />
            <Tooltip
              isAnimationActive={false}
              content={({ active, payload }) => {
                const row = payload?.[0]?.payload as Row | undefined;
                if (!active || !row) return null;
                return (
                  <div className="tooltip">
                    <strong>{row.label}</strong>
                    {words.meaning(row.item.feature) ? <div className="muted">{words.meaning(row.item.feature)}</div> : null}
                    {row.diff > 0 ? "+" : ""}
                    {num(row.diff)} standard deviations vs. all members
                    <div className="muted">
                      {"persona_share" in row.item && typeof row.item.persona_share === "number"
                        ? `share of their events ${pct(row.item.persona_share, 1)} · all users ${pct(row.item.population_share, 1)}`
                        : `persona mean ${num(row.item.persona_mean, 3)} · population ${num(row.item.population_mean, 3)}`}
                    </div>
                    {row.item.sentence ? <div>{row.item.sentence}</div> : null}
                  </div>
                );
              }}
            />
            <Bar dataKey="diff" name="Difference (sd)" isAnimationActive={false}>
              {rows.map((r) => (
                <Cell key={r.item.feature} fill={CLOCK_ENDS[r.item.feature] ? CLOCK : r.diff >= 0 ? ABOVE : BELOW} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="legend">
        <span>
          <span className="swatch" style={{ background: ABOVE }} />
          higher than all {who}
        </span>
        <span>
          <span className="swatch" style={{ background: BELOW }} />
          lower than all {who}
        </span>
        {rows.some((r) => CLOCK_ENDS[r.item.feature]) ? (
          <span data-testid="clock-bar-legend">
            <span className="swatch" style={{ background: CLOCK }} />
            time of day: toward the end its label names
          </span>
        ) : null}
        <span>
          {who === "users"
            ? items.some((f) => "persona_share" in f && typeof f.persona_share === "number")
              ? "bars: the share of their events each event takes (every user counted once), against all users', in standard deviations"
              : "bars: each event in their mix of events (log counts), in standard deviations of the population"
            : "bars in standard deviations of the population"}
        </span>
      </figcaption>
    </figure>
  );
}
