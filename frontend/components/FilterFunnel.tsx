"use client";

import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import type { FilterStage } from "@/lib/api";
import { int, pct } from "@/lib/format";

/** The step for rows set aside before the filters (named "selected" before 2026-12-02, which said nothing). */
const CUSTOMER_STEP = "customer messages";

/** The agents section's counts the caption needs (ml.filtering.agents.drop_agents). */
export interface SetAside {
  removed: number;
  removed_outbound_flag?: number | null;
  detected_marked_by_data?: number | null;
  removed_staff_signed?: number | null;
  accounts?: number | null;
  removed_broadcast?: number | null;
  broadcast_accounts?: number | null;
}

/** "; the data marks 2,203 of them as the company's too": how far the data's side column agrees with the accounts
 * found from how they write (a help-desk export's sender_type marked 2,222 rows as agents; the caption credited the
 * detector with all but 19 and a reviewer read the column as ignored). */
function alsoWords(agents: SetAside, detected: number): string {
  const also = Math.min(detected, agents.detected_marked_by_data ?? 0);
  if (also <= 0) return "";
  return also === detected ? "; the data marks all of them as the company's too" : `; the data marks ${int(also)} of them as the company's too`;
}

/** Why rows were set aside before the filters, each reason with its own count: messages of accounts that behave
 * like the brand's (detected), rows the data itself marks as the company's side, and with --inbound-only the rows
 * not marked as the customer's. Runs before the agents section say only the total. */
function setAsideWords(removed: number, agents: SetAside | null | undefined): string {
  const head = `“${CUSTOMER_STEP}”: ${int(removed)} rows set aside before the filters`;
  if (!agents) return `${head}, as the company's side of the conversations.`;
  const marked = agents.removed_outbound_flag ?? 0;
  const signed = agents.removed_staff_signed ?? 0;
  const broadcast = agents.removed_broadcast ?? 0;
  const detected = Math.max(0, agents.removed - marked - signed - broadcast);
  const notInbound = Math.max(0, removed - agents.removed);
  const accounts = agents.accounts ? ` of ${int(agents.accounts)} brand or agent account${agents.accounts === 1 ? "" : "s"}` : "";
  const parts = [
    notInbound > 0 ? `${int(notInbound)} not marked as a customer's message (--inbound-only)` : null,
    detected > 0 ? `${int(detected)} messages${accounts} (found from how they write: answering many customers, staff sign-offs${alsoWords(agents, detected)})` : null,
    marked > 0 ? `${int(marked)}${detected > 0 ? " more" : ""} the data marks as the company's replies` : null,
    signed > 0 ? `${int(signed)} signed as only staff sign (“^AB”, “*Name”)` : null,
    broadcast > 0
      ? `${int(broadcast)} messages of ${int(agents.broadcast_accounts ?? 0)} account${agents.broadcast_accounts === 1 ? "" : "s"} that post links only (news feeds, bots, promotions)`
      : null,
  ].filter(Boolean);
  return parts.length ? `${head}: ${parts.join("; ")}.` : `${head}.`;
}

interface Step {
  label: string;
  kept: number;
  removed: number;
}

/** What a step counts: event runs name it per step (events, users, event types); conversation runs count members. */
function unitOf(stage: FilterStage): string | null {
  return "unit" in stage ? (stage.unit ?? null) : null;
}

/** The steps in words (ml.filtering.quality.STAGES, ml.events.matrix): not their code names. */
const STAGE_WORDS: Record<string, string> = {
  exact_duplicates: "exact duplicates",
  near_duplicates: "near duplicates",
  retweets_forwards: "retweets and forwards",
  length: "too short or too long",
  templates: "templates",
  non_english: "not in English",
  window: "time window",
  min_activity: "users with too few events",
  key_events: "event types kept",
};

function stageLabel(stage: string): string {
  return STAGE_WORDS[stage] ?? stage.replace(/_/g, " ");
}

/** "Users with too few events: their 1,790 events went with them (106,150 events left).": the events that go with
 * the users or event types a step removes (event runs), so the steps' event counts add up to the run's events;
 * "Event types kept: the events of the types left out went with them" where the step keeps rather than removes. */
function eventsWith(stage: FilterStage): string | null {
  if (!("events_removed" in stage) || !stage.events_removed || stage.events_kept == null) return null;
  const label = stageLabel(stage.stage);
  const n = `${int(stage.events_removed)} ${stage.events_removed === 1 ? "event" : "events"}`;
  const gone = stage.stage === "key_events" ? `the ${n} of the types left out went with them` : `their ${n} went with them`;
  return `${label[0]?.toUpperCase()}${label.slice(1)}: ${gone} (${int(stage.events_kept)} events left).`;
}

/** Steps that count different things (an event run: events, users, event types): a table with the unit of each. */
function StepTable({ stages }: { stages: FilterStage[] }) {
  const notes = stages.map(eventsWith).filter((n): n is string => Boolean(n));
  return (
    <>
      <div className="table-scroll">
        <table data-testid="filter-funnel">
          <caption className="sr-only">What each step kept</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Counts</th>
              <th scope="col" className="num">Removed</th>
              <th scope="col" className="num">Kept</th>
              <th scope="col" className="num">Kept share</th>
            </tr>
          </thead>
          <tbody>
            {stages.map((s, i) => (
              <tr key={`${s.stage}-${i}`}>
                <th scope="row">{stageLabel(s.stage)}</th>
                <td>{unitOf(s) ?? "members"}</td>
                <td className="num">{int(s.removed)}</td>
                <td className="num">{int(s.kept)}</td>
                <td className="num">{pct(s.kept + s.removed ? s.kept / (s.kept + s.removed) : null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {notes.length ? (
        <p className="hint" data-testid="events-with-steps">
          {notes.join(" ")}
        </p>
      ) : null}
    </>
  );
}

/** Bar colours: the steps count messages; the last bar of a run of authors or conversations counts members, on the
 * same axis (a help-desk review read it as messages), so it is lighter and the note under the chart says so. */
const MESSAGES = "#0072B2";
const MEMBERS = "#56B4E9";

/** Ticks from 0 to the first round number at or above ``total``, at most five whole steps of 1, 2, 2.5 or 5 × 10^k: the
 * axis ended at the total itself, so "4,500" and "5,000" stood on each other. */
export function axisTicks(total: number): number[] {
  const top = Math.max(1, total);
  const power = 10 ** Math.floor(Math.log10(top));
  const step = [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= 1 && Math.ceil(top / s) <= 5) ?? power * 10;
  const n = Math.ceil(top / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1000) / 1000);
}

/** Input → each filtering stage → kept, as a horizontal funnel plus a table of the numbers
 * (a table per step with its unit when the stages count different things, as in an event run). */
export default function FilterFunnel({
  input,
  stages,
  kept,
  agents,
  unit,
}: {
  input: number | undefined;
  stages: FilterStage[];
  kept: number | undefined;
  agents?: SetAside | null;
  /** The run's member unit: with "author" or "conversation" the stages count messages and the last row members. */
  unit?: string | null;
}) {
  if (new Set(stages.map(unitOf).filter(Boolean)).size > 1) return <StepTable stages={stages} />;
  const total = input ?? (stages[0] ? stages[0].kept + stages[0].removed : 0);
  const steps: Step[] = [{ label: "input", kept: total, removed: 0 }];
  const first = stages[0];
  if (first && first.kept + first.removed !== total) {
    // Rows set aside before the six stages: the brand's side with --inbound-only, agent accounts' messages.
    const entering = first.kept + first.removed;
    steps.push({ label: CUSTOMER_STEP, kept: entering, removed: total - entering });
  }
  const setAside = steps.find((s) => s.label === CUSTOMER_STEP);
  steps.push(...stages.map((s) => ({ label: stageLabel(s.stage), kept: s.kept, removed: s.removed })));
  const last = stages[stages.length - 1];
  const finalKept = kept ?? last?.kept ?? total;
  // members of several messages (authors, conversations): the last row counts members, not messages, and has no
  // share of the messages read (1,367 authors of 5,000 messages is no 27%)
  const grouped = !!unit && unit !== "message";
  steps.push({ label: grouped ? `${unit}s (members)` : "kept", kept: finalKept, removed: 0 });
  const ticks = axisTicks(total);

  return (
    <div data-testid="filter-funnel">
      <div className="chart" style={{ height: 40 + steps.length * 34 }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={steps} layout="vertical" margin={{ left: 8, right: 64, top: 4, bottom: 4 }}>
            <CartesianGrid horizontal={false} strokeDasharray="3 3" />
            <XAxis type="number" tickFormatter={(v: number) => int(v)} domain={[0, ticks[ticks.length - 1] ?? 1]} ticks={ticks} />
            <YAxis type="category" dataKey="label" width={150} tick={{ fontSize: 12 }} interval={0} />
            <Tooltip
              isAnimationActive={false}
              formatter={(value, _name, item) => {
                const step = item.payload as Step;
                if (grouped && step === steps[steps.length - 1])
                  return [`${int(Number(value))} ${unit}s formed by the ${int(last?.kept ?? 0)} messages kept`, ""];
                return [`${int(Number(value))} kept (${pct(total ? step.kept / total : 0)})${step.removed ? `, ${int(step.removed)} removed` : ""}`, ""];
              }}
            />
            <Bar dataKey="kept" fill={MESSAGES} isAnimationActive={false}>
              {steps.map((step, i) => (
                <Cell key={`${step.label}-${i}`} fill={grouped && i === steps.length - 1 ? MEMBERS : MESSAGES} />
              ))}
              <LabelList dataKey="kept" position="right" formatter={(v) => int(Number(v))} fill="#3d4752" style={{ fontSize: 12 }} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      {setAside && setAside.removed > 0 ? (
        <p className="hint" data-testid="set-aside">
          {setAsideWords(setAside.removed, agents)}
        </p>
      ) : null}
      {grouped ? (
        <p className="hint" data-testid="funnel-members">
          The steps count messages; the {int(last?.kept ?? 0)} messages kept form {int(finalKept)} members, one per{" "}
          {unit} (the last, lighter bar).
        </p>
      ) : null}
      <div className="table-scroll">
        <table>
          <caption className="sr-only">Messages kept after each filtering stage</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" className="num">Removed</th>
              <th scope="col" className="num">Kept</th>
              <th scope="col" className="num">Kept share</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s, i) => (
              <tr key={`${s.label}-${i}`}>
                <th scope="row">{s.label}</th>
                <td className="num">{i === 0 || i === steps.length - 1 ? "" : int(s.removed)}</td>
                <td className="num">{int(s.kept)}</td>
                <td className="num">{grouped && i === steps.length - 1 ? "" : pct(total ? s.kept / total : null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
