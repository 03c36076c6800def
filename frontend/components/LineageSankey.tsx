"use client";

import { useRouter } from "next/navigation";
import { useContext } from "react";
import { ResponsiveContainer, Sankey, Tooltip, type SankeyLinkProps, type SankeyNodeProps } from "recharts";

import { BaseRunGone } from "@/components/ChangeTables";
import type { Comparison } from "@/lib/api";
import { pct, truncate } from "@/lib/format";
import { FLOW_COLORS, STATUS, lineageFlows, type FlowLink, type FlowNode } from "@/lib/lineage";

const LABEL_ROOM = 300;
/** Characters of a persona's name on its bar at most; with its share and badge after it, the label stays within
 * LABEL_ROOM at about LABEL_CHAR_PX a character (the screenshot of an event run's What changed page showed
 * "Typical users (homepage & oucon… 67.7% · shrunk" cut at the panel's left edge). The whole name is in the chart's
 * tooltip and the bar's accessible name. */
const LABEL_CHARS = 32;
const LABEL_CHAR_PX = 7;

/** The name as its bar shows it: cut so that name and `after` (share, badge) fit LABEL_ROOM. */
function barName(name: string, after: string): string {
  return truncate(name, Math.max(12, Math.min(LABEL_CHARS, Math.floor(LABEL_ROOM / LABEL_CHAR_PX) - after.length)));
}
/** Below this width the labels of the two sides would overlap the bands: the chart scrolls sideways instead. */
const MIN_CHART_WIDTH = 2 * LABEL_ROOM + 240;

/** The words a screen reader (and the tooltip) gives a node. */
function nodeLabel(n: FlowNode, baseRun: string, newRun: string): string {
  if (n.side === "arrived")
    return `${n.name}: ${pct(n.share)} of this run, the share its personas hold beyond what flowed from the baseline's${partWords(n)}`;
  if (n.side === "gone")
    return `${n.name}: ${pct(n.share)} of the baseline, the share its personas did not pass on${partWords(n)}`;
  const status = n.status ? STATUS[n.status].label : "";
  return n.side === "base"
    ? `${n.name}: ${pct(n.share)} of baseline run ${baseRun}, ${status}`
    : `${n.name}: ${pct(n.share)} of this run ${newRun}, ${status}`;
}

/** A balancing node's part that is born or died personas: the Sankey's "Smaller shares, gone personas 16.1%" beside
 * "Personas with no counterpart: 3.1% of the baseline" read as a contradiction; it now says "(gone: 3.1%)". */
function hasPart(n: FlowNode): n is FlowNode & { part: number } {
  return typeof n.part === "number" && n.part >= 0.0005;
}

function partShown(n: FlowNode): string {
  return hasPart(n) ? ` (${n.side === "gone" ? "gone" : "new"}: ${pct(n.part)})` : "";
}

function partWords(n: FlowNode): string {
  if (!hasPart(n)) return "";
  return n.side === "gone"
    ? `; ${pct(n.part)} of it is personas that died, the rest the shrinking of personas both runs have`
    : `; ${pct(n.part)} of it is personas born here, the rest the growth of personas both runs have`;
}

/** The SVG of one node: a bar and its label; persona bars are links (click, or Tab then Enter/Space). */
function nodeRenderer(baseRun: string, newRun: string, open: (n: FlowNode) => void, baseGone = false) {
  return function FlowBar({ x, y, width, height: h, payload }: SankeyNodeProps) {
    const n = payload as unknown as FlowNode;
    // a balancing node with nothing to balance is not drawn (a review saw "Growth 0.0%" when nothing grew)
    if ((n.side === "arrived" || n.side === "gone") && n.share < 0.0005) return <g key={`${n.side}-empty`} />;
    const left = n.side === "base" || n.side === "arrived";
    const fill = n.side === "arrived" ? FLOW_COLORS.arrived : n.side === "gone" ? FLOW_COLORS.gone : "#44505f";
    const badge = n.status && n.status !== "continued" ? ` · ${STATUS[n.status].label}` : "";
    const linkable = n.id !== null && !(baseGone && n.side === "base"); // a deleted baseline's personas: no page
    const after = ` ${pct(n.share)}${badge}${partShown(n)}`;
    return (
      <g
        key={`${n.side}-${n.id ?? "x"}`}
        data-flow-side={n.side}
        data-persona-id={n.id ?? undefined}
        data-status={n.status ?? undefined}
        role={linkable ? "link" : "img"}
        tabIndex={linkable ? 0 : undefined}
        aria-label={nodeLabel(n, baseRun, newRun)}
        style={linkable ? { cursor: "pointer" } : undefined}
        onClick={() => linkable && open(n)}
        onKeyDown={(e) => {
          if (linkable && (e.key === "Enter" || e.key === " ")) {
            e.preventDefault();
            open(n);
          }
        }}
      >
        <rect x={x} y={y} width={width} height={Math.max(h, 1)} fill={fill} />
        <text x={left ? x - 6 : x + width + 6} y={y + h / 2} dy="0.35em" textAnchor={left ? "end" : "start"} fontSize={12} fill="#1b1f24">
          {n.side === "base" || n.side === "new" ? barName(n.name, after) : n.name}
          <tspan fill="#5a6370">{after}</tspan>
        </text>
      </g>
    );
  };
}

/** The SVG of one band, coloured by what it carries (kept, new, gone). */
function FlowBand(p: SankeyLinkProps) {
  const { sourceX, targetX, sourceY, targetY, sourceControlX, targetControlX, linkWidth } = p;
  const kind = (p.payload as unknown as FlowLink).kind;
  const from = p.payload.source as unknown as FlowNode;
  const to = p.payload.target as unknown as FlowNode;
  return (
    <path
      d={`M${sourceX},${sourceY}C${sourceControlX},${sourceY} ${targetControlX},${targetY} ${targetX},${targetY}`}
      fill="none"
      stroke={FLOW_COLORS[kind]}
      strokeOpacity={kind === "kept" ? 0.3 : 0.45}
      strokeWidth={Math.max(1, linkWidth)}
      data-flow-kind={kind}
      data-from-id={from?.id ?? undefined}
      data-to-id={to?.id ?? undefined}
    />
  );
}

function FlowLegend({ comparison }: { comparison: Comparison }) {
  return (
    <figcaption className="legend">
      <span>
        Left: baseline run {comparison.base.run_id} · right: this run · bar height = share of each run&apos;s{" "}
        {comparison.new.unit}s
      </span>
      <span>
        <span className="swatch" style={{ background: FLOW_COLORS.kept }} aria-hidden="true" />
        same persona (or its split/merged parts)
      </span>
      <span>
        <span className="swatch" style={{ background: FLOW_COLORS.arrived }} aria-hidden="true" />
        new, or a larger share
      </span>
      <span>
        <span className="swatch" style={{ background: FLOW_COLORS.gone }} aria-hidden="true" />
        gone, or a smaller share
      </span>
      {comparison.new_personas.some((p) => p.share_recut) ? (
        <span data-testid="sankey-redrawn">
          Bars and bands are each run&apos;s own shares: a persona the table marks &ldquo;drawn smaller&rdquo; or
          &ldquo;drawn larger this run&rdquo; shows growth or shrinkage here that comes from where this run drew its
          edges, not from its kind of conversation.
        </span>
      ) : null}
    </figcaption>
  );
}

/**
 * Flows from the baseline's personas (left, height = share then) to this run's (right, height = share
 * now), with "Larger shares" and "Smaller shares" balancing the two sides, ", new personas" / ", gone personas" added when
 * some were born or died (lib/lineage.ts).
 * Each persona bar is a link to that persona (Tab, Enter); the table below holds the same numbers.
 */
export default function LineageSankey({ comparison }: { comparison: Comparison }) {
  const router = useRouter();
  const baseGone = useContext(BaseRunGone);
  const data = lineageFlows(comparison);
  const baseRun = comparison.base.run_id;
  const newRun = comparison.new.run_id;
  const perSide = Math.max(
    data.nodes.filter((n) => n.side === "base" || n.side === "arrived").length,
    data.nodes.filter((n) => n.side === "new" || n.side === "gone").length,
  );
  const open = (n: FlowNode) => {
    if (n.id === null) return;
    router.push(`/persona/?run=${encodeURIComponent(n.side === "base" ? baseRun : newRun)}&id=${n.id}`);
  };
  return (
    <figure className="chart-figure" style={{ margin: 0 }} data-testid="lineage-sankey">
      <div className="table-scroll" data-testid="lineage-sankey-scroll">
        <div className="chart" style={{ height: Math.max(320, perSide * 30 + 20), minWidth: MIN_CHART_WIDTH }}>
          <ResponsiveContainer width="100%" height="100%">
            <Sankey
              data={data}
              node={nodeRenderer(baseRun, newRun, open, baseGone)}
              link={FlowBand}
              nodeWidth={12}
              nodePadding={10}
              iterations={0}
              sort={false}
              verticalAlign="top"
              accessibilityLayer={false}
              margin={{ top: 8, bottom: 8, left: LABEL_ROOM, right: LABEL_ROOM }}
              title="Flows from the baseline's personas to this run's"
            >
              <Tooltip isAnimationActive={false} formatter={(v) => `${Number(v).toFixed(1)} points of share`} />
            </Sankey>
          </ResponsiveContainer>
        </div>
      </div>
      <FlowLegend comparison={comparison} />
    </figure>
  );
}
