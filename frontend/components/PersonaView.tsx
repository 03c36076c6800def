"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";

import ActivityPanel, { clockLabel } from "@/components/ActivityPanel";
import FingerprintChart from "@/components/FingerprintChart";
import MemberSearch from "@/components/MemberSearch";
import { PersonaOutcome } from "@/components/OutcomesPanel";
import PersonaLineage from "@/components/PersonaLineage";
import PersonaTrail from "@/components/PersonaTrail";
import SeparatorsPanel from "@/components/SeparatorsPanel";
import { ErrorState, Loading } from "@/components/States";
import StrategyPanel from "@/components/StrategyPanel";
import SubPersonaPanel from "@/components/SubPersonaPanel";
import { ApiError, paths, runFileUrl, type Persona, type Term, type TopEvent } from "@/lib/api";
import { int, num, pct, shownTerm, termLabel } from "@/lib/format";
import { FEW_NAME_SHARE, memberNoun, mostlyForced } from "@/lib/runs";
import { useApi } from "@/lib/useApi";

/** Deep dive into one persona: `/persona/?run=RUN&id=PID`, under breadcrumbs of its family, above its sub-personas. */
export default function PersonaView() {
  const params = useSearchParams();
  const runId = params.get("run") || "latest";
  const rawId = params.get("id");
  const personaId = rawId !== null && /^\d+$/.test(rawId) ? Number(rawId) : null;
  const persona = useApi(personaId === null ? null : paths.persona(runId, personaId));
  const back = (
    <p className="breadcrumb">
      <Link href={`/?run=${encodeURIComponent(runId)}`}>← Run overview</Link>
    </p>
  );

  if (personaId === null) {
    return (
      <>
        {back}
        <ErrorState error={new ApiError(400, "bad_link", "This link names no persona (it needs ?run=RUN&id=NUMBER).")} />
      </>
    );
  }
  if (persona.status === "error") {
    return (
      <>
        {back}
        <ErrorState error={persona.error} title={`Could not load persona ${personaId}`} />
      </>
    );
  }
  if (persona.status !== "ok") return (
    <>
      {back}
      <Loading what="the persona" />
    </>
  );
  return (
    <>
      <PersonaTrail p={persona.data} />
      <PersonaPage p={persona.data} />
    </>
  );
}

/** One author's share above which a persona is as much one customer's thread as a segment (ml/profile/describe.py),
 * for runs stored before the API served the sentence (`one_voice`). */
const ONE_VOICE_SHARE = 1 / 3;

/** The run's own sentence when one author is a third of the members or of the messages; older runs: the members. */
function oneVoice(p: Persona): string | null {
  if (p.kind !== "conversations") return null;
  if (p.one_voice) return p.one_voice;
  if (typeof p.top_author_members !== "number" || p.size < 2 || p.top_author_members <= ONE_VOICE_SHARE * p.size)
    return null;
  return `One author accounts for ${int(p.top_author_members)} of its ${int(p.size)} members (${pct(p.top_author_members / p.size)}): read it as much as one customer's thread as a segment.`;
}

/**
 * How much of the persona its name describes (`name_share`, ml/profile/name_share.py): "Its name's words are in 61%
 * of its members' texts", and where that is under a quarter, that the evidence shows it better (a TWCS review
 * presented "Fixed it thanks", written by 2 of its 96 members).
 */
export function nameShareWords(
  share: number,
  size: number,
  parts?: { part: string; share: number }[] | null,
): string {
  const n = Math.round(share * size);
  const head = `Its name's words are in ${pct(share, 0)} of its members' texts (about ${int(n)} of ${int(size)})`;
  // a name of several parts: each part's share, since a member holding any part counts above ("Refund &
  // contacted the seller" read 92% where its second part described 12%)
  const each =
    parts && parts.length > 1 ? `: ${parts.map((p) => `“${p.part}” ${pct(p.share, 0)}`).join(", ")}` : "";
  const few = parts?.filter((p) => p.share < FEW_NAME_SHARE).map((p) => `“${p.part}”`) ?? [];
  if (share < FEW_NAME_SHARE) return `${head}${each}: the name describes few of them; read the evidence before presenting it.`;
  if (few.length && few.length < (parts?.length ?? 0)) {
    return `${head}${each}; ${few.join(" and ")} ${few.length > 1 ? "describe" : "describes"} few of them.`;
  }
  return `${head}${each}.`;
}

function PersonaHead({ p }: { p: Persona }) {
  const eventRun = p.kind === "events";
  const forced = eventRun ? "flagged as mixed" : "reassigned from noise";
  const voice = oneVoice(p);
  return (
    <div className="page-head">
      <div>
        <h1 data-testid="persona-name">{p.name || `Persona ${p.id}`}</h1>
        {p.kind === "conversations" && p.name_note ? (
          <p className="hint" data-testid="name-note">
            {p.name_note}
          </p>
        ) : null}
        {p.kind === "conversations" && typeof p.name_share === "number" ? (
          <p className="hint" data-testid="name-share">
            {nameShareWords(p.name_share, p.size, p.name_parts)}
          </p>
        ) : null}
        <p className="meta">
          {int(p.size)} {memberNoun(eventRun)} · {pct(p.share)} of the run
          {typeof p.reassigned_count === "number" && typeof p.core_size === "number"
            ? ` (${int(p.core_size)} ${eventRun ? "clear" : "core"} · ${int(p.reassigned_count)} ${forced})`
            : typeof p.reassigned_count === "number"
              ? ` · ${int(p.reassigned_count)} ${forced}`
              : ""}{" "}
          · run {p.run_id}
        </p>
        {mostlyForced(p) ? (
          <p className="hint" data-testid="loose-caution">
            {eventRun
              ? `More than half of its users (${int(p.reassigned_count)} of ${int(p.size)}) are flagged as mixed: their two largest personas nearly tie. Read it as a loose grouping; its clear users show it best.`
              : `More than half of its members (${int(p.reassigned_count)} of ${int(p.size)}) were reassigned from noise by nearness, not found in its dense core. Read it as a loose grouping; its core members (the evidence) show it best.`}
          </p>
        ) : null}
        {voice !== null ? (
          <p className="hint" data-testid="one-voice-caution">
            {voice}
            {p.kind === "conversations" && !p.evidence_withheld ? " The evidence quotes each author once before it quotes anyone twice." : ""}
          </p>
        ) : null}
        <p className="hint" data-testid="persona-downloads">
          Take this persona with you: its {memberNoun(eventRun)} as{" "}
          <a href={runFileUrl(p.run_id, "export/members.csv", { persona: p.id })} download data-testid="persona-members-csv">
            CSV
          </a>{" "}
          ·{" "}
          <a href={runFileUrl(p.run_id, "export/members.parquet", { persona: p.id })} download>
            Parquet
          </a>{" "}
          · its{" "}
          <a href={runFileUrl(p.run_id, "report.html", { persona: p.id })} target="_blank" rel="noopener" data-testid="persona-report">
            printable page
          </a>
          {p.kind === "conversations" && p.evidence_withheld ? " (the members without their texts: too few authors behind it)" : null}
        </p>
      </div>
    </div>
  );
}

/** The persona's evidence and member search, or why the evidence is withheld (the privacy floor). */
function EvidencePanel({ p }: { p: Persona }) {
  // The privacy floor applies to conversation runs (authors); event personas carry no such fields.
  const withheld = p.kind === "conversations" && p.evidence_withheld ? p : null;
  return (
    <section className="panel" aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>
      {withheld ? (
        <p className="state-none" data-testid="evidence-withheld">
          Evidence withheld for privacy: this persona rests on{" "}
          {typeof withheld.distinct_authors === "number" ? `only ${int(withheld.distinct_authors)}` : "too few"} distinct
          authors, so quoting its members could identify them.
          {withheld.evidence_withheld_reason ? <span className="muted"> ({withheld.evidence_withheld_reason})</span> : null}
        </p>
      ) : (
        <MemberSearch
          runId={p.run_id}
          personaId={p.id}
          evidence={p.evidence ?? []}
          size={p.size}
          eventRun={p.kind === "events"}
        />
      )}
    </section>
  );
}

/** The highlights the description does not already say word for word (it often repeats most of them). */
function newHighlights(highlights: string[], description: string): string[] {
  const flat = (t: string) => t.toLowerCase().replace(/[^a-z0-9×%.]+/g, " ").trim().replace(/\.+$/, "");
  const said = flat(description);
  return highlights.filter((h) => !said.includes(flat(h)));
}

function PersonaPage({ p }: { p: Persona }) {
  // Event runs (NMF on users × events) have `top_events` where conversation runs have terms; members are users.
  const eventRun = p.kind === "events";
  const noun = memberNoun(eventRun);
  const highlights = newHighlights(p.highlights ?? [], p.description ?? "");
  // the clock that hour and weekday features are read in, for their labels (none without timestamps)
  const clock = p.activity?.has_timestamps === false ? null : clockLabel(p.activity?.time_basis);
  return (
    <>
      <PersonaHead p={p} />
      <PersonaLineage p={p} />
      {p.description ? (
        <p style={{ maxWidth: "60rem" }} data-testid="persona-description">
          {p.description}
        </p>
      ) : null}
      {highlights.length ? (
        <div data-testid="persona-highlights">
          <p className="hint" style={{ margin: "0 0 0.25rem" }}>
            Also measured: how its {noun} differ from everyone else
          </p>
          <ul className="bullets">
            {highlights.map((h, i) => (
              <li key={i}>{h}</li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="grid grid-2">
        {eventRun ? <PersonaOutcome runId={p.run_id} personaId={p.id} /> : null}
        <SubPersonaPanel p={p} />

        <section className="panel span-2" aria-labelledby="activity-title">
          <h2 id="activity-title">When they are active</h2>
          <ActivityPanel activity={p.activity} eventRun={eventRun} />
        </section>

        <section className="panel" aria-labelledby="fingerprint-title">
          <h2 id="fingerprint-title">Behavioural fingerprint</h2>
          <p className="hint">
            The {eventRun ? "events" : "features"} where this persona differs most from all {noun}.
          </p>
          <FingerprintChart items={p.fingerprint ?? []} clock={clock} />
        </section>

        <section className="panel" aria-labelledby="separates-title">
          <h2 id="separates-title">What separates it</h2>
          <SeparatorsPanel
            separators={p.separators}
            clock={clock}
            noun={p.kind === "events" ? "users" : "members"}
            events={p.kind === "events"}
          />
        </section>

        <TermsPanel p={p} />

        <EvidencePanel p={p} />

        <section className="panel span-2" aria-labelledby="strategy-title">
          <h2 id="strategy-title">Strategy</h2>
          <p className="hint">Pick a goal: the recommendations below cite the members they rest on.</p>
          <StrategyPanel runId={p.run_id} personaId={p.id} evidence={p.evidence ?? []} />
        </section>
      </div>
    </>
  );
}

/** Top events (event runs) or top terms and phrases (conversation runs). */
function TermsPanel({ p }: { p: Persona }) {
  return p.kind === "events" ? (
    <section className="panel" aria-labelledby="terms-title">
      <h2 id="terms-title">Top events</h2>
      <TopEvents events={p.top_events ?? []} />
    </section>
  ) : (
    <section className="panel" aria-labelledby="terms-title">
      <h2 id="terms-title">Top terms and phrases</h2>
      <TermChips label="Terms" terms={p.top_terms ?? []} testId="top-terms" />
      <TermChips label="Phrases" terms={p.top_ngrams ?? []} testId="top-ngrams" />
    </section>
  );
}

function TermChips({ label, terms, testId }: { label: string; terms: Term[]; testId: string }) {
  const texts = terms.map(shownTerm).filter(Boolean); // "card isn't working", as members write it
  return (
    <div style={{ marginBottom: "0.75rem" }}>
      <h3>{label}</h3>
      {texts.length ? (
        <ul className="chips" data-testid={testId}>
          {texts.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      ) : (
        <p className="state-none">None stood out.</p>
      )}
    </div>
  );
}

/** The events that mark an event-run persona: share of its pattern, lift vs. everyone, and the plain-word sentence. */
function TopEvents({ events }: { events: TopEvent[] }) {
  if (events.length === 0) return <p className="state-none">No event stood out.</p>;
  return (
    <>
      <p className="hint">
        “of the pattern” = the event&apos;s weight in the pattern the model found for this persona (what defines it, not
        a count); lift = its users&apos; mean count ÷ everyone&apos;s; the line under each event gives the real counts and
        the share of the users&apos; own events.
      </p>
      <ol className="top-events" data-testid="top-events">
        {events.map((e) => (
          <li key={e.event} data-event={e.event}>
            <strong className="event-name">{termLabel(e.event)}</strong>{" "}
            <span className="muted">
              {typeof e.weight === "number" ? `${pct(e.weight, 0)} of the pattern` : ""}
              {typeof e.lift === "number" ? ` · lift ${num(e.lift, 2)}×` : ""}
            </span>
            {e.sentence ? <div className="event-sentence">{e.sentence}</div> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
