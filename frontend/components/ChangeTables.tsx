"use client";

import Link from "next/link";
import { createContext, useContext, type ReactNode } from "react";

import type { BasePersona, Comparison, NewPersona, ShareCI } from "@/lib/api";
import { int, pct } from "@/lib/format";
import { STATUS, type LineageStatus } from "@/lib/lineage";

/** A status badge: the word (never colour alone) with its meaning for screen readers and on hover. */
export function StatusBadge({ status }: { status: LineageStatus }) {
  const s = STATUS[status];
  return (
    <span className="badge" style={{ color: s.ink, background: s.fill }} data-testid="status-badge" data-status={status}>
      {s.label}
      <span className="sr-only">: {s.meaning}</span>
    </span>
  );
}

/** "10.7% (9.3–12.4%)": a share with its Wilson interval. */
function ShareCell({ share, unit }: { share: ShareCI | null | undefined; unit?: string }) {
  if (!share) return <span className="muted">–</span>;
  return (
    <>
      {pct(share.share)}{" "}
      <span className="muted ci" title="95% Wilson interval">
        <br />
        ({pct(share.low)}–{pct(share.high)})
      </span>
      {unit ? (
        // a share can fall while the count grows (a cumulative export): an analyst review read such a persona as shrunk
        <span className="muted ci" data-testid="share-count">
          <br />
          {int(share.count)} {unit}
          {share.count === 1 ? "" : "s"}
        </span>
      ) : null}
    </>
  );
}

function delta(now: number, then: number | null | undefined): string {
  if (then === null || then === undefined) return "new";
  const shown = Math.abs((now - then) * 100).toFixed(1);
  if (Number(shown) === 0) return "0.0 pts"; // no "−0.0" for a change that rounds away
  return `${now > then ? "+" : "−"}${shown} pts`;
}

/** The baseline persona this row is a piece of, when its status is "split": the first of its ``base_ids`` (the
 * one its reason names) whose pieces (``new_ids``) include it. Another baseline persona may have merged into the
 * same piece: an airline review read "Phone & hold … split from" the 2.5% "Hold for an hour" that merged into it,
 * and counted 7 split personas where the run has 6, when the parent was the first such in the baseline's order. */
export function splitParent(p: NewPersona, comparison: Comparison): BasePersona | null {
  if (p.status !== "split") return null;
  const byId = new Map(comparison.base_personas.map((b) => [b.id, b]));
  const parents = (p.base_ids ?? []).map((id) => byId.get(id)).filter((b): b is BasePersona => !!b);
  const linked = parents.filter((b) => (b.new_ids ?? []).includes(p.id));
  // the parent's own status may be "merged" when its largest part went into a merger
  return linked.find((b) => b.status === "split") ?? linked[0] ?? null;
}

/** The pieces a baseline persona split into (the split's personas: a persona it also merged into holds other
 * people as well) and their share now, together. */
type Split = { pieces: NewPersona[]; together: number; merged: NewPersona[] };

export function splitPieces(parent: BasePersona, comparison: Comparison): Split {
  const linked = comparison.new_personas.filter((q) => (parent.new_ids ?? []).includes(q.id));
  const pieces = linked.filter((q) => q.status === "split");
  // a part that went into a merger shares that persona with other baseline personas' people
  const merged = linked.filter((q) => q.status !== "split");
  return { pieces, together: pieces.reduce((sum, q) => sum + q.now.share, 0), merged };
}

/** Share then of a row; for a piece of a split, the share of the whole persona before it split, named: the table is
 * sorted by share now, so a split's pieces sit apart and each repeated "whole, before the split" without saying whose
 * (an analyst review). */
function ThenCell({ p, parent, split, unit }: { p: NewPersona; parent: BasePersona | null; split: Split | null; unit: string }) {
  if (!parent || !split) return <ShareCell share={p.then} unit={unit} />;
  const n = split.pieces.length;
  return (
    <>
      <ShareCell share={parent.then} unit={unit} />
      <span className="muted split-whole" data-testid="split-whole">
        all of “{parent.name}” before it split{n > 1 ? ` in ${n}` : ""}
      </span>
    </>
  );
}

/** Δ of a row. A piece of a split is not compared with its whole parent (a piece of a persona that kept its size
 * would read as shrunk): the change is that of all its pieces together, said as such. */
function DeltaCell({ p, parent, split }: { p: NewPersona; parent: BasePersona | null; split: Split | null }) {
  if (!parent || !split) return <>{delta(p.now.share, p.then?.share)}</>;
  const { pieces, together, merged } = split;
  if (merged.length) {
    const into = merged.map((q) => `“${q.name}”`).join(", ");
    return (
      <span data-testid="split-delta" title={`Part of the persona it split from went into ${into}, which holds other personas' people too: no change can be measured for the pieces alone`}>
        –
        <br />
        <span className="muted delta-note">part merged into {into}</span>
      </span>
    );
  }
  return (
    <span data-testid="split-delta" title={`Its ${pieces.length} pieces together, against the persona they split from`}>
      {delta(together, parent.then.share)}
      <br />
      <span className="muted">{pieces.length > 1 ? `all ${pieces.length} pieces` : "its one piece"}</span>
    </span>
  );
}

/** "more negative: 22% → 35% of its members": a clear change of tone (ml.lineage.shift.tone_change), else nothing. */
export function ToneLine({ p }: { p: NewPersona }) {
  const t = p.tone;
  if (!t || t.reading === "no clear change") return null;
  return (
    <span className="muted origin" data-testid="tone-change" data-reading={t.reading}>
      {t.reading}: {pct(t.then, 0)} → {pct(t.now, 0)} of its members use negative words
    </span>
  );
}

function Terms({ words, kind }: { words: string[]; kind: "new" | "lost" }) {
  if (!words.length) return <span className="muted">–</span>;
  return (
    <ul className={`chips chips-${kind}`} aria-label={kind === "new" ? "New terms" : "Lost terms"}>
      {words.slice(0, 5).map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  );
}

function personaHref(runId: string, id: number): string {
  return `/persona/?run=${encodeURIComponent(runId)}&id=${id}`;
}

/** True while the page shows a comparison whose baseline run is not in the store (deleted since, or a run directory
 * never published): its personas are
 * named without links (a review found 33 links into a deleted baseline, each opening "Could not load persona"). */
export const BaseRunGone = createContext(false);

/** A baseline persona's name, linked to its page while the store still holds the baseline run. */
function BasePersonaLink({ comparison, id, children }: { comparison: Comparison; id: number; children: ReactNode }) {
  const gone = useContext(BaseRunGone);
  if (gone) return <span data-testid="base-persona-unlinked">{children}</span>;
  return <Link href={personaHref(comparison.base.run_id, id)}>{children}</Link>;
}

/** "was App & phone + Work & app": the baseline persona(s) a persona of this run comes from. */
export function Origin({ p, comparison }: { p: NewPersona; comparison: Comparison }) {
  const names = new Map(comparison.base_personas.map((b) => [b.id, b.name]));
  const ids = p.base_ids ?? [];
  if (!ids.length) return <span className="muted origin">no baseline persona</span>;
  if (ids.length === 1 && names.get(ids[0] ?? -1) === p.name && p.own_name === p.name) return null;
  return (
    <span className="muted origin">
      from{" "}
      {ids.map((id, i) => (
        <span key={id}>
          {i ? " + " : ""}
          <BasePersonaLink comparison={comparison} id={id}>
            {names.get(id) ?? `#${id}`}
          </BasePersonaLink>
        </span>
      ))}
      {p.own_name !== p.name ? <> · this run called it “{p.own_name}”</> : null}
      {p.renamed_from ? (
        <span data-testid="renamed">
          {" "}
          · renamed: “{p.renamed_from}” no longer describes it, so read it as what that persona became
          {typeof p.scores?.similarity === "number" ? ` (its centroid is at cosine ${p.scores.similarity.toFixed(2)})` : ""}
        </span>
      ) : null}
    </span>
  );
}

/** "drawn smaller this run; its kind of conversation held 3.5% → 3.4%": a matched persona whose own share moved past
 * the growth ratio while its placed share did not move that way (ml.lineage.status: it continued; the fit re-drew
 * its edges). "went the other way" when the placed share moved against it by the ratio, "changed by less than ×1.5"
 * when its intervals are apart under the ratio. */
export function RedrawnNote({ p, ratio }: { p: NewPersona; ratio: number }) {
  if (!p.share_recut || !p.placed || !p.then) return null;
  const way = p.now.share < p.then.share ? "smaller" : "larger";
  const { then, now } = p.placed;
  const r = then.share > 0 ? now.share / then.share : Infinity;
  const against = way === "smaller" ? r >= ratio : r <= 1 / ratio;
  const apart = now.low > then.high || now.high < then.low;
  const span = `${pct(then.share)} → ${pct(now.share)}`;
  const went = against ? `went the other way, ${span}` : apart ? `changed by less than ×${ratio}, ${span}` : `held ${span}`;
  return (
    <span
      className="muted redrawn"
      data-testid="share-recut"
      title={`Both runs' members placed on the baseline's personas: this share did not move ×${ratio} the way this run's own shares did, so the shares then → now in this row show where this run's fit drew the persona's edges, not a change in its kind of conversation`}
    >
      drawn {way} this run; its kind of conversation {went}
    </span>
  );
}

/** A piece of a split that starts a lineage of its own (the main piece carries its parent's). */
function newPiece(p: NewPersona, c: Comparison): boolean {
  return p.status === "split" && !c.base_personas.some((b) => b.lineage_id === p.lineage_id);
}

/** The comparison's growth ratio (LineageConfig.growth_ratio, written in the result). */
export function growthRatio(c: Comparison): number {
  const r = Number((c.config as Record<string, unknown> | undefined)?.growth_ratio);
  return Number.isFinite(r) && r > 1 ? r : 1.5;
}

/** Every persona of this run: status, origin, share then → now with intervals, and new / lost terms. */
export function NewPersonaTable({ comparison }: { comparison: Comparison }) {
  const runId = comparison.new.run_id;
  const rows = [...comparison.new_personas].sort((a, b) => b.now.share - a.now.share);
  const what = comparison.new.kind === "events" ? "events" : "terms"; // an event persona's terms are its events
  const unit = comparison.new.unit || "member";
  return (
    <div className="table-scroll">
      <table data-testid="change-table">
        <caption className="sr-only">Personas of this run compared with the baseline</caption>
        <thead>
          <tr>
            <th scope="col">Persona</th>
            <th scope="col">Change</th>
            <th scope="col" className="num">Share then</th>
            <th scope="col" className="num">Share now</th>
            <th scope="col" className="num">Δ</th>
            <th scope="col">New {what}</th>
            <th scope="col">Lost {what}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => ({ p, parent: splitParent(p, comparison) }))
            .map(({ p, parent }) => ({ p, parent, split: parent ? splitPieces(parent, comparison) : null }))
            .map(({ p, parent, split }) => (
            <tr key={p.id} data-persona-id={p.id} data-status={p.status}>
              <td>
                <Link href={personaHref(runId, p.id)}>{p.name}</Link>
                <Origin p={p} comparison={comparison} />
                <ToneLine p={p} />
              </td>
              <td>
                <StatusBadge status={p.status} />
                {p.recut ? (
                  <span className="muted recut" data-testid="recut" title="Its conversations were in the baseline too, cut differently: not new ones">
                    re-cut, not new
                  </span>
                ) : null}
                <RedrawnNote p={p} ratio={growthRatio(comparison)} />
                <details className="why">
                  <summary>why</summary>
                  {p.reason}
                </details>
              </td>
              <td className="num"><ThenCell p={p} parent={parent} split={split} unit={unit} /></td>
              <td className="num"><ShareCell share={p.now} unit={unit} /></td>
              <td className="num nowrap"><DeltaCell p={p} parent={parent} split={split} /></td>
              <td><Terms words={p.terms?.new ?? []} kind="new" /></td>
              <td>
                {newPiece(p, comparison) ? (
                  // a new piece never had its parent's terms: an analyst review read "Booked & flight" as having
                  // lost "xbox, game", the words of the persona it split from
                  <span className="muted" data-testid="piece-lost-terms" title="A new piece of a split: the terms of the persona it split from stay with the piece that carries it on">
                    – (a new piece)
                  </span>
                ) : (
                  <Terms words={p.terms?.lost ?? []} kind="lost" />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A gone persona whose members recur: where most of them are now ("21 of its 25 users found in both runs are now
 * in Typical users"), so "gone" is not read as the people leaving. */
function MembersNowLine({ b, comparison }: { b: BasePersona; comparison: Comparison }) {
  const m = b.members_now;
  if (!m) return null;
  const now = comparison.new_personas.find((p) => p.id === m.persona_id);
  return (
    <div className="muted" data-testid="members-now">
      {int(m.n)} of its {int(m.of)} {comparison.new.unit || "member"}s found in both runs are now in{" "}
      <Link href={personaHref(comparison.new.run_id, m.persona_id)}>{now?.name ?? `persona ${m.persona_id}`}</Link>
    </div>
  );
}

/** The baseline's personas that no persona of this run continues. */
export function GoneTable({ comparison }: { comparison: Comparison }) {
  const gone: BasePersona[] = comparison.base_personas
    .filter((b) => b.status === "died")
    .sort((a, b) => b.then.share - a.then.share);
  if (!gone.length) return <p className="state-none">Every persona of the baseline is still here (continued, split or merged).</p>;
  return (
    <table data-testid="gone-table">
      <caption className="sr-only">Baseline personas with no match in this run</caption>
      <thead>
        <tr>
          <th scope="col">Baseline persona</th>
          <th scope="col">Change</th>
          <th scope="col" className="num">Share then</th>
        </tr>
      </thead>
      <tbody>
        {gone.map((b) => (
          <tr key={b.id} data-persona-id={b.id}>
            <td>
              <BasePersonaLink comparison={comparison} id={b.id}>
                {b.name}
              </BasePersonaLink>
              <MembersNowLine b={b} comparison={comparison} />
            </td>
            <td>
              <StatusBadge status="died" />
              <details className="why">
                <summary>why</summary>
                {b.reason}
              </details>
            </td>
            <td className="num"><ShareCell share={b.then} unit={comparison.new.unit || "member"} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
