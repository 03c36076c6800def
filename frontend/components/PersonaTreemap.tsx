"use client";

import { useRouter } from "next/navigation";
import { Rectangle, ResponsiveContainer, Tooltip, Treemap } from "recharts";

import type { PersonaSummary } from "@/lib/api";
import { textOn } from "@/lib/colors";
import { int, pct, shownTerm, subPersonaWords } from "@/lib/format";
import type { Coloring, Measure } from "@/lib/measures";

interface Cell {
  [key: string]: unknown;
  name: string;
  size: number;
  id: number;
  share: number;
  fill: string;
  valueLabel: string;
  /** A word after the value on the cell ("22.6% negative"), where the measure has one. */
  valueUnit?: string;
  /** The colour measure is the core share itself: the share line does not say it twice. */
  coreInValue?: boolean;
  terms: string;
  /** Share of the cell's members placed by the clustering itself (the rest were reassigned from noise). */
  coreShare?: number | null;
  /** What the members of `coreShare` are called: "core", or "clear" in an event run (users not flagged as mixed). */
  coreWord?: string;
  /** What `share` is a share of, when not of the run ("of this persona"). */
  shareOf?: string;
  /** A last word on the cell and in its tooltip ("3 sub-personas"). */
  note?: string;
}

interface NodeProps {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  depth?: number;
  name?: string;
  id?: number;
  share?: number;
  fill?: string;
  valueLabel?: string;
}

let canvas: HTMLCanvasElement | null = null;

/** Rendered width of `text` in `font` (canvas measureText; a per-character estimate without a DOM). */
export function textWidth(text: string, font: string, fallbackPx: number): number {
  if (typeof document === "undefined") return text.length * fallbackPx;
  canvas ??= document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return text.length * fallbackPx;
  ctx.font = font;
  return ctx.measureText(text).width;
}

const TITLE_FONT = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const SUB_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** `text` cut with "…" so that it fits `width` pixels ("" when not even one letter fits). */
function fitText(text: string, width: number, font: string, fallbackPx: number): string {
  const room = width - 12;
  if (textWidth(text, font, fallbackPx) <= room) return text;
  for (let n = text.length - 1; n >= 1; n--) {
    const cut = `${text.slice(0, n).trimEnd()}…`;
    if (textWidth(cut, font, fallbackPx) <= room) return cut;
  }
  return "";
}

/** The most of `parts` (most important first) that fits `width` whole: "6.7% · 51% core" in a wide cell, "6.7%"
 * in a narrow one, instead of "6.7% · 5…"; the first part is cut only when nothing else fits. */
function fitParts(parts: string[], width: number, font: string, fallbackPx: number): string {
  for (let n = parts.length; n >= 1; n--) {
    const text = parts.slice(0, n).join("");
    if (textWidth(text, font, fallbackPx) <= width - 12) return text;
  }
  return fitText(parts[0] ?? "", width, font, fallbackPx);
}

/** Word-wrap `text` into at most `maxLines` lines that fit `width` (the last one cut with "…"). */
export function wrapText(text: string, width: number, font: string, fallbackPx: number, maxLines: number): string[] {
  const room = width - 12;
  if (room <= fallbackPx || maxLines < 1) return [];
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (!line || textWidth(next, font, fallbackPx) <= room) {
      line = next;
    } else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = `${lines[maxLines - 1] ?? ""}…`;
  }
  // a line cut to a stub ("Fl…") says nothing: a narrow cell read "Fl… fl… o…" (a review); the tooltip names it.
  // Nor does a line left of a name whose other words did not fit at all: "Wifi & app" read "&" (an explorer review)
  const shown = lines.map((l) => fitText(l, width, font, fallbackPx));
  return shown.some((l, i) => stub(l) || (!l && lines[i])) ? [] : shown;
}

/** A text cut to so little that it says nothing ("Fl…", "1.…"). */
function stub(text: string): boolean {
  return text.endsWith("…") && text.length < 5;
}

function personaHref(runId: string, id: number): string {
  return `/persona/?run=${encodeURIComponent(runId)}&id=${id}`;
}

/** One rectangle of a treemap: a family of personas, a persona, or a sub-persona. */
export interface TreemapCell extends Cell {
  kind: "persona" | "family" | "subpersona";
  /** Accessible label read out for the cell. */
  label: string;
}

/**
 * Treemap of a run's personas, area = share of members, colour = the chosen measure.
 * Each cell is a link: click or Enter/Space opens the persona, or, with `onZoom`, a persona that splits zooms
 * into its sub-personas (its cell says how many).
 */
export default function PersonaTreemap({
  runId,
  personas,
  measure,
  coloring,
  noun = "members",
  forcedLabel = "reassigned from noise",
  coreWord = "core",
  onZoom,
}: {
  runId: string;
  personas: PersonaSummary[];
  measure: Measure;
  coloring: Coloring;
  /** What a member is called: "members", or "users" for an event run. */
  noun?: string;
  /** What "not core" means: "reassigned from noise", or "flagged as mixed" for an event run. */
  forcedLabel?: string;
  /** What core members are called: "core", or "clear" for an event run (users not flagged as mixed). */
  coreWord?: string;
  /** Open the sub-personas of a persona that splits (in place of its persona page). */
  onZoom?: (persona: PersonaSummary) => void;
}) {
  const router = useRouter();
  const byId = new Map(personas.map((p) => [p.id, p]));
  const cells: TreemapCell[] = personas
    .filter((p) => p.size > 0)
    .map((p) => {
      const zooms = onZoom !== undefined && p.sub_persona_count > 0;
      const valueLabel = measure.kind === "category" ? "" : coloring.format(measure.value(p));
      const subs = zooms ? subPersonaWords(p.sub_persona_count) : "";
      const coreShare = typeof p.core_size === "number" && p.size > 0 ? p.core_size / p.size : null;
      const coreText = coreShare === null ? "" : `, ${pct(coreShare, 0)} ${coreWord}, ${pct(1 - coreShare, 0)} ${forcedLabel}`;
      return {
        kind: "persona",
        name: p.name,
        size: p.size,
        id: p.id,
        share: p.share,
        fill: coloring.color(p),
        valueLabel,
        valueUnit: measure.unit,
        coreInValue: measure.key === "metric:core_share",
        note: subs || undefined,
        terms: (p.top_terms ?? []).slice(0, 5).map(shownTerm).join(", "),
        coreShare,
        coreWord,
        label: `${p.name}: ${pct(p.share)} of ${noun}${coreText}${valueLabel ? `, ${measure.label} ${valueLabel}` : ""}. ${
          zooms ? `Open its ${subs}.` : "Open persona."
        }`,
      };
    });
  return (
    <TreemapChart
      cells={cells}
      noun={noun}
      valueName={measure.label}
      testId="persona-treemap"
      forcedLabel={forcedLabel}
      onOpen={(cell) => {
        const p = byId.get(cell.id);
        if (onZoom !== undefined && p !== undefined && p.sub_persona_count > 0) onZoom(p);
        else router.push(personaHref(runId, cell.id));
      }}
    />
  );
}

/** The hatched bottom band of a cell: the share of its members reassigned from noise (or flagged as mixed). */
function ForcedBand({ cell, x, y, width, height, ink }: { cell: TreemapCell; x: number; y: number; width: number; height: number; ink: string }) {
  const core = typeof cell.coreShare === "number" ? cell.coreShare : null;
  const forcedH = core === null ? 0 : height * (1 - core);
  if (forcedH <= 1) return null;
  const hatchId = `hatch-${cell.kind}-${cell.id}`;
  return (
    <>
      <defs>
        <pattern id={hatchId} width={7} height={7} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width={7} height={7} fill={cell.fill} />
          <line x1={0} y1={0} x2={0} y2={7} stroke={ink} strokeOpacity={0.45} strokeWidth={3} />
        </pattern>
      </defs>
      <rect
        x={x + 1}
        y={y + height - forcedH}
        width={Math.max(0, width - 2)}
        height={Math.max(0, forcedH - 1)}
        fill={`url(#${hatchId})`}
        data-testid="forced-part"
        pointerEvents="none"
      />
    </>
  );
}

/** A cell's words: its name (wrapped, up to 3 lines), share · core · value, and its note ("▸ 3 sub-personas"). */
function CellText({ cell, x, y, width, height, ink }: { cell: TreemapCell; x: number; y: number; width: number; height: number; ink: string }) {
  const maxLines = Math.max(0, Math.min(3, Math.floor((height - 24) / 16)));
  const titleLines = wrapText(cell.name, width, TITLE_FONT, 7.6, Math.max(1, maxLines));
  const core = typeof cell.coreShare === "number" && !cell.coreInValue ? ` · ${pct(cell.coreShare, 0)} ${cell.coreWord ?? "core"}` : "";
  const shareOf = cell.shareOf ? ` ${cell.shareOf}` : "";
  const valueText = cell.valueLabel ? `${cell.valueLabel}${cell.valueUnit ? ` ${cell.valueUnit}` : ""}` : "";
  const value = valueText ? ` · ${valueText}` : "";
  // the colour's value outranks the share where both do not fit: it is what the reader chose to see (a review found
  // "Separability" on no cell)
  const shareValue = `${pct(cell.share)}${shareOf}${value}`;
  const subLine = value && fitText(shareValue, width, SUB_FONT, 6.8) !== shareValue
    ? fitText(valueText, width, SUB_FONT, 6.8) // with its unit, cut: a bare "77.6%" reads as the share
    : fitParts([`${pct(cell.share)}${shareOf}`, value, core], width, SUB_FONT, 6.8);
  const sub = stub(subLine) ? "" : subLine; // "1.…" says nothing either
  const note = cell.note ? fitText(`▸ ${cell.note}`, width, SUB_FONT, 6.8) : "";
  const subY = y + 17 + titleLines.length * 16;
  const termsY = subY + (note ? 30 : 15) + 4;
  const termLines = cell.terms ? wrapText(cell.terms, width, SUB_FONT, 6.8, Math.min(3, Math.floor((y + height - 6 - termsY) / 15) + 1)) : [];
  return (
    <>
      {height > 22
        ? titleLines.map((line, i) => (
            <text key={i} x={x + 6} y={y + 17 + i * 16} fill={ink} fontSize={13} fontWeight={600} pointerEvents="none">
              {line}
            </text>
          ))
        : null}
      {subY < y + height - 4 && sub ? (
        <text x={x + 6} y={subY} fill={ink} fontSize={12} pointerEvents="none">
          {sub}
        </text>
      ) : null}
      {note && subY + 15 < y + height - 4 ? (
        <text x={x + 6} y={subY + 15} fill={ink} fontSize={12} fontWeight={600} pointerEvents="none" data-testid="cell-note">
          {note}
        </text>
      ) : null}
      {height > 110 && termsY < y + height - 6
        ? termLines.map((line, i) => (
            <text key={`t${i}`} x={x + 6} y={termsY + i * 15} fill={ink} fillOpacity={0.85} fontSize={12} fontStyle="italic" pointerEvents="none" data-testid="cell-terms">
              {line}
            </text>
          ))
        : null}
    </>
  );
}

/** One cell: a link (click, Enter or Space runs `onOpen`) with its rectangle, hatched band and words. */
function CellNode({ cell, box, onOpen }: { cell: TreemapCell; box: Required<Pick<NodeProps, "x" | "y" | "width" | "height">>; onOpen: (cell: TreemapCell) => void }) {
  const ink = textOn(cell.fill);
  const idAttr = { [`data-${cell.kind}-id`]: cell.id };
  return (
    <g
      role="link"
      tabIndex={0}
      aria-label={cell.label}
      {...idAttr}
      style={{ cursor: "pointer" }}
      onClick={() => onOpen(cell)}
      onKeyDown={(e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onOpen(cell);
        }
      }}
    >
      <Rectangle {...box} fill={cell.fill} stroke="#ffffff" strokeWidth={2} />
      <ForcedBand cell={cell} {...box} ink={ink} />
      <CellText cell={cell} {...box} ink={ink} />
    </g>
  );
}

/** The tooltip of a cell: size and share, core vs reassigned, the coloured value, its note and terms. */
function CellTooltip({ cell, noun, valueName, forcedLabel }: { cell: TreemapCell; noun: string; valueName: string; forcedLabel: string }) {
  return (
    <div className="tooltip">
      <strong>{cell.name}</strong>
      {int(cell.size)} {noun} · {pct(cell.share)}
      {cell.shareOf ? ` ${cell.shareOf}` : ""}
      {typeof cell.coreShare === "number" ? (
        <div>
          {pct(cell.coreShare, 0)} {cell.coreWord ?? "core"} · {pct(1 - cell.coreShare, 0)} {forcedLabel} (hatched)
        </div>
      ) : null}
      {cell.valueLabel ? (
        <div>
          {valueName ? `${valueName}: ` : ""}
          {cell.valueLabel}
        </div>
      ) : null}
      {cell.note ? <div>{cell.note}: click to open them</div> : null}
      {cell.terms ? <div className="muted">{cell.terms}</div> : null}
    </div>
  );
}

/** A treemap of labelled, clickable cells (families, personas or sub-personas); `onOpen` runs on click, Enter or Space. */
export function TreemapChart({
  cells,
  noun,
  valueName,
  testId,
  onOpen,
  forcedLabel = "reassigned from noise",
}: {
  cells: TreemapCell[];
  noun: string;
  valueName: string;
  testId: string;
  onOpen: (cell: TreemapCell) => void;
  forcedLabel?: string;
}) {
  const byKey = new Map(cells.map((c) => [`${c.kind}:${c.id}`, c]));
  const renderCell = (props: NodeProps & { kind?: string }) => {
    const { x = 0, y = 0, width = 0, height = 0, depth = 0, id = 0 } = props;
    const cell = depth === 1 ? byKey.get(`${props.kind}:${id}`) : undefined;
    return cell ? <CellNode cell={cell} box={{ x, y, width, height }} onOpen={onOpen} /> : <g />;
  };
  return (
    <div className="chart chart-treemap" data-testid={testId}>
      <ResponsiveContainer width="100%" height="100%">
        <Treemap
          data={cells}
          dataKey="size"
          nameKey="name"
          aspectRatio={4 / 3}
          isAnimationActive={false}
          content={renderCell as unknown as (props: unknown) => React.ReactElement}
        >
          <Tooltip
            isAnimationActive={false}
            content={({ active, payload }) => {
              const cell = payload?.[0]?.payload as TreemapCell | undefined;
              if (!active || !cell) return null;
              return <CellTooltip cell={cell} noun={noun} valueName={valueName} forcedLabel={forcedLabel} />;
            }}
          />
        </Treemap>
      </ResponsiveContainer>
    </div>
  );
}
