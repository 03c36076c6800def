"use client";

import FilterFunnel from "@/components/FilterFunnel";
import { type RunManifest } from "@/lib/api";
import { dataPeriod, dateTime, int, pct, periodClock } from "@/lib/format";
import { isEventRun, sourceText } from "@/lib/runs";

/** What the overview says about the run itself: where it came from, its counts, how fine its personas are
 * cut, and what each filtering stage kept. */

/** The year an event run's yearless dates were read in (`--assume-year`, Moodle's "11 May, 09:44"), if any. */
function assumedYear(m: RunManifest): number | null {
  if (m.kind !== "events") return null;
  const year = (m.config?.input as { assume_year?: unknown } | undefined)?.assume_year;
  return typeof year === "number" ? year : null;
}

export function RunMeta({ manifest: m }: { manifest: RunManifest }) {
  const time = m.kind !== "events" ? m.time : null; // an event run's dates are its activity chart's
  const span = time ? dataPeriod(time, time.basis) : null;
  const clock = periodClock(time?.basis);
  const year = assumedYear(m);
  return (
    <p className="meta" data-testid="run-meta">
      Run <strong>{m.id}</strong> · created {dateTime(m.created_at)} · source {sourceText(m.source)}
      {span ? <span data-testid="run-period"> · data from {span} ({clock}, the clock of the charts)</span> : null}
      {year !== null ? (
        <span data-testid="assumed-year">
          {" "}
          · dates without a year read as {year} (--assume-year): the weekdays rest on that year
        </span>
      ) : null}
      {isEventRun(m) ? " · each member is one user" : m.unit ? ` · each member is one ${m.unit}` : ""}
    </p>
  );
}

export function FunnelPanel({ manifest: m }: { manifest: RunManifest }) {
  return (
    <section className="panel span-2" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Filtering funnel</h2>
      <p className="hint">
        {isEventRun(m)
          ? "What each step of building the users × events matrix kept (events, users or event types)."
          : m.unit && m.unit !== "message"
            ? `Messages left after each of the filtering stages, then the members they form (one per ${m.unit}).`
            : "Members left after each of the filtering stages."}
      </p>
      <FilterFunnel
        input={m.counts.input}
        stages={m.filtering ?? []}
        kept={m.counts.kept}
        agents={m.kind !== "events" ? m.agents : null}
        unit={m.kind !== "events" ? m.unit : null}
      />
    </section>
  );
}

/** The run's headline counts, per run kind. */
export function RunCounts({ manifest: m }: { manifest: RunManifest }) {
  // a matrix layout (KDD Cup 2015: one row per user and day, a count column per event type) reads rows, not events
  const matrix = m.kind === "events" && (m.source as { layout?: string | null } | null | undefined)?.layout === "matrix";
  const inWindow = m.kind === "events" ? m.counts.events_in_window : null;
  // a per-row count (OULAD's sum_click): what is kept is the sum of that column, not a number of rows
  const count = m.kind === "events" ? (m.source as { mapping?: { count?: string | null } } | null | undefined)?.mapping?.count : null;
  const kept = count ? `events kept: the sum of ${count} (kept users and types)` : "events kept (kept users and types)";
  return m.kind === "events" ? (
    <div className="stat-row" aria-label="Run counts">
      <Stat label={matrix ? "rows in (a count per event type each)" : "event rows in"} value={int(m.counts.input)} />
      {typeof inWindow === "number" ? <Stat label={kept} value={int(inWindow)} /> : null}
      <Stat label="users kept" value={int(m.counts.kept)} />
      <Stat label="event types" value={int(m.counts.event_types)} />
      <Stat label="personas" value={int(m.counts.personas)} />
      <Stat label="users flagged as mixed" value={int(m.counts.mixed)} />
    </div>
  ) : (
    <div className="stat-row" aria-label="Run counts">
      <Stat label="messages read" value={int(m.counts.input)} />
      <Stat label="members kept" value={int(m.counts.kept)} />
      <Stat label="personas" value={int(m.counts.personas)} />
      <Stat label="noise before reassignment" value={int(m.counts.noise_before_reassign)} />
    </div>
  );
}

/** How fine the personas are cut: the smallest persona the clustering allowed and why (manifest
 * `cluster.granularity`), and what to do for finer or coarser ones. The size follows the whole dump (0.5% of
 * its fitted members by default, at most 80), so topics that are small beside the rest of the dump join a neighbour. */
export function GranularityNote({ manifest: m }: { manifest: RunManifest }) {
  if (m.kind === "events") return null;
  const g = m.cluster?.granularity;
  const size = g?.chosen ?? m.cluster?.min_cluster_size;
  if (!size) return null;
  const cluster = (m.config?.cluster ?? {}) as { min_cluster_share?: number; min_cluster_size?: number | null };
  // a run above 1.5 x reduce.fit_sample_size is fitted on a sample; its sizes count the sample's members
  const placed = m.counts.placed ?? 0;
  const fitted = m.counts.kept - placed;
  const sample = placed > 0 ? `${int(fitted)} sampled members it was fitted on` : `${int(m.counts.kept)} members`;
  let rule = "";
  if (g?.rule === "share" && typeof cluster.min_cluster_share === "number") {
    // the share rule stops at cluster.largest_min_cluster_size (runs since 2026-12-02)
    const most = g.bounded ? `, and never more than ${int(size)}` : "";
    // the floor: 10, or a twentieth of a dump under 200 members, at least 5 (runs since 2026-12-06; 10 before)
    const floor = g.floor ?? 10;
    // (cluster.min_cluster_floor may set another: the number is the run's own; "this small" only under 200 members)
    const least = `, never fewer than ${int(floor)}${floor < 10 && fitted < 200 ? " in a dump this small" : ""}`;
    rule = ` (${pct(cluster.min_cluster_share, 1)} of the ${sample}${least}${most})`;
  } else if (g?.rule === "fixed" && cluster.min_cluster_size) {
    rule = ` (--min-cluster-size ${int(cluster.min_cluster_size)} of all members${placed > 0 ? ", scaled to the sample" : ""})`;
  }
  // runs before the manifest counted them say the rescued groups only in words
  const words = g?.why?.match(/(\d+) smaller clusters \(min_cluster_size (\d+)\)/);
  const rescued = g?.rescued ?? (words ? Number(words[1]) : 0);
  const rescueSize = g?.rescue_size ?? (words ? Number(words[2]) : 0);
  // cluster.join joined a topic's pieces (runs since 2026-12-02); joined_from and joined_into are set together
  const joined = g?.joined_from ?? 0;
  const joinedInto = g?.joined_into ?? 0;
  // the size cap was needed (runs since 2026-12-03 say its size): the texts formed one loose mass, cut into slices
  const cap = g?.capped && g.cap ? g.cap : 0;
  return (
    <div className="hint" data-testid="granularity-note" style={{ maxWidth: "60rem" }}>
      <p style={{ margin: 0 }}>
        The clustering made a persona of a group of at least {int(size)}
        {placed > 0 ? " sampled" : ""} members{rule}
        {rescued ? `, and of ${int(rescued)} smaller dense ${rescued === 1 ? "group" : "groups"} (from ${int(rescueSize)} members) among the rest` : ""}
        .{joined ? ` Groups that were pieces of one topic were then joined: ${int(joined)} groups became ${int(joinedInto)}.` : ""}
        {cap
          ? ` The texts formed one loose mass rather than separate dense groups, so no group could hold more than ${int(cap)}${placed > 0 ? " sampled" : ""} members (members reassigned from the noise can take a persona past that).`
          : ""}
        {placed > 0 ? ` The other ${int(placed)} members were placed beside the sampled ones.` : ""} Smaller topics
        join their nearest persona, where its sub-personas may show them. For finer or coarser
        personas, run again with <code>--min-cluster-size N</code>.
      </p>
      {g?.why ? (
        <details>
          <summary>Technical record: how the size was chosen</summary>
          {g.why}
        </details>
      ) : null}
    </div>
  );
}

/** Members longer than the text model reads (manifest `embedding_cache.long`, runs since 2026-12-03): a long
 * thread or a prolific author is represented by its opening unless `embed.long_texts` reads it whole
 * (ml/features/long_text.py; docs/features.md "Long members"). Nothing when none is that long. */
export function LongMembersNote({ manifest: m }: { manifest: RunManifest }) {
  if (m.kind === "events") return null;
  const long = m.embedding_cache?.long ?? 0;
  if (!long) return null;
  const mode = ((m.config?.embed ?? {}) as { long_texts?: string }).long_texts ?? "truncate";
  const pieces = m.embedding_cache?.pieces ?? 0;
  const how = mode === "medoid" ? "the vector of each one's most typical piece" : "the mean of each one's pieces";
  return (
    <p className="hint" data-testid="long-members-note" style={{ maxWidth: "60rem" }}>
      {int(long)} of the {int(m.counts.kept)} members ({pct(long / Math.max(m.counts.kept, 1), 1)}) are longer than
      the text model reads at once (256 word pieces, about 180 words).{" "}
      {pieces > 0 ? (
        <>They were read whole, as {int(pieces)} pieces, and placed by {how}.</>
      ) : (
        <>
          Their place among the personas rests on their first 256 word pieces; <code>embed: {"{"}long_texts: medoid{"}"}</code>{" "}
          in <code>--config</code> reads them whole.
        </>
      )}
    </p>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <span className="value">{value}</span>
      <span className="label">{label}</span>
    </div>
  );
}
