"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { PERSONA_COLOR, POPULATION_COLOR } from "@/lib/colors";
import { pct } from "@/lib/format";

function shares(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** Round tick positions (0, 5%, 10%, ...) covering `max`. */
function shareTicks(max: number): number[] {
  const step = max <= 0.1 ? 0.02 : max <= 0.25 ? 0.05 : max <= 0.6 ? 0.1 : 0.2;
  const top = Math.min(1, Math.max(step, Math.ceil(max / step - 1e-9) * step));
  const out: number[] = [];
  for (let v = 0; v <= top + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

/**
 * Share of the persona's members per hour (or weekday) beside the population's share,
 * so the shapes compare regardless of size. `axisLabel` names the x axis with its clock
 * ("Hour of day (UTC)"), shown under the axis.
 */
export default function ActivityChart({
  title,
  labels,
  persona,
  population,
  testId,
  populationName = "All members",
  axisLabel,
}: {
  title: string;
  axisLabel?: string;
  labels: string[];
  persona: number[];
  population: number[];
  testId: string;
  populationName?: string;
}) {
  const p = shares(persona);
  const q = shares(population);
  const data = labels.map((label, i) => ({ label, persona: p[i] ?? 0, population: q[i] ?? 0 }));
  const ticks = shareTicks(Math.max(0, ...p, ...q));
  return (
    <figure className="chart-figure" data-testid={testId} data-axis-label={axisLabel} style={{ margin: 0 }}>
      <figcaption className="hint">{title}</figcaption>
      <div className="chart chart-md">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: axisLabel ? 14 : 0 }} barGap={1}>
            <CartesianGrid vertical={false} strokeDasharray="3 3" />
            <XAxis
              dataKey="label"
              tick={{ fontSize: 11 }}
              interval={labels.length > 12 ? 2 : 0}
              label={axisLabel ? { value: axisLabel, position: "insideBottom", offset: -8, fontSize: 11 } : undefined}
            />
            <YAxis
              tickFormatter={(v: number) => pct(v, 0)}
              width={44}
              tick={{ fontSize: 11 }}
              domain={[0, ticks[ticks.length - 1] ?? 1]}
              ticks={ticks}
            />
            <Tooltip isAnimationActive={false} formatter={(v) => pct(Number(v))} />
            {/* with an axis label under the ticks, the legend goes on top so the two never overlap */}
            <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign={axisLabel ? "top" : "bottom"} />
            <Bar dataKey="persona" name="This persona" fill={PERSONA_COLOR} isAnimationActive={false} />
            <Bar dataKey="population" name={populationName} fill={POPULATION_COLOR} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
