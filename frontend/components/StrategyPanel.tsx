"use client";

import { useEffect, useState } from "react";

import { ErrorState, Loading } from "@/components/States";
import {
  ApiError,
  postStrategy,
  type Evidence,
  type Strategy,
  type StrategyCitations,
  type StrategyRequest,
  type StrategyResponse,
} from "@/lib/api";
import { toApiError } from "@/lib/useApi";

type Goal = NonNullable<StrategyRequest["goal"]>;

/** A label for every goal of the API's `Goal` enum (a goal added there is a type error here until labelled). */
const GOAL_LABELS: Record<Goal, string> = {
  retention: "Retention: keep these people",
  acquisition: "Acquisition: win new people like these",
  win_back: "Win back: bring these people back",
  support_deflection: "Support deflection: answer before they ask",
  upsell: "Upsell: offer these people more",
};

export const GOALS = (Object.keys(GOAL_LABELS) as Goal[]).map((value) => ({ value, label: GOAL_LABELS[value] }));

type State =
  | { status: "ok"; key: string; data: StrategyResponse }
  | { status: "error"; key: string; error: ApiError };

/** One cited statement of the document, whatever its section: a heading (channel, KPI name), text, citations. */
interface Item {
  heading: string | null;
  text: string;
  citations: StrategyCitations;
}

interface Section {
  key: string;
  title: string;
  items: Item[];
}

function plain(item: { text: string; citations: StrategyCitations }): Item {
  return { heading: null, text: item.text, citations: item.citations };
}

function sections(doc: Strategy): Section[] {
  return [
    { key: "positioning", title: "Positioning", items: [plain(doc.positioning)] },
    { key: "key_messages", title: "Key messages", items: doc.key_messages.map(plain) },
    {
      key: "channels",
      title: "Channels",
      items: doc.channels.map((c) => ({ heading: c.channel, text: c.rationale, citations: c.citations })),
    },
    { key: "timing", title: "Timing", items: [plain(doc.timing)] },
    { key: "tone", title: "Tone", items: [plain(doc.tone)] },
    { key: "offers", title: "Offers", items: doc.offers.map(plain) },
    {
      key: "kpis",
      title: "How to measure it",
      items: doc.kpis.map((k) => ({ heading: k.name, text: k.text, citations: k.citations })),
    },
    { key: "risks", title: "Risks", items: doc.risks.map(plain) },
  ].filter((s) => s.items.length > 0);
}

/**
 * Strategy for the persona and a chosen goal, from `POST /strategy`. Each recommendation shows the
 * measured signals and the (masked) evidence snippets it cites.
 */
export default function StrategyPanel({
  runId,
  personaId,
  evidence,
}: {
  runId: string;
  personaId: number;
  evidence: Evidence[];
}) {
  // null: the goal the API suggests for this persona (support deflection where the data names no authors)
  const [goal, setGoal] = useState<Goal | null>(null);
  const [state, setState] = useState<State | null>(null);
  const key = `${runId}|${personaId}|${goal ?? "suggested"}`;

  useEffect(() => {
    const controller = new AbortController();
    postStrategy({ run_id: runId, persona_id: personaId, ...(goal ? { goal } : {}) }, controller.signal).then(
      (data) => setState({ status: "ok", key, data }),
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ status: "error", key, error: toApiError(err) });
      },
    );
    return () => controller.abort();
  }, [runId, personaId, goal, key]);

  const current = state && state.key === key ? state : null;
  const snippets = new Map(evidence.map((e) => [e.member_id, e.text]));
  const shown: Goal = goal ?? (current?.status === "ok" ? current.data.goal : null) ?? "retention";

  return (
    <div data-testid="strategy-panel">
      <div className="controls">
        <label htmlFor="goal-select">Goal</label>
        <select
          id="goal-select"
          value={shown}
          onChange={(e) => setGoal(e.target.value as Goal)}
          disabled={goal === null && current === null} // until the suggested goal is known, nothing to change from
          data-testid="goal-select"
        >
          {GOALS.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </select>
        {goal === null && current?.status === "ok" ? (
          <span className="hint" data-testid="goal-suggested">
            {current.data.goal === "support_deflection"
              ? "Suggested: the data names no authors, so these are kinds of message to answer, not people to reach."
              : "Suggested for this persona; pick another goal to compare."}
          </span>
        ) : null}
      </div>
      <div aria-live="polite" aria-busy={current === null}>
        {current === null ? (
          <Loading what="a strategy" />
        ) : current.status === "error" ? (
          <ErrorState error={current.error} title="Could not build a strategy" />
        ) : (
          <StrategyView data={current.data} snippets={snippets} />
        )}
      </div>
    </div>
  );
}

function StrategyView({ data, snippets }: { data: StrategyResponse; snippets: Map<string, string> }) {
  const doc = data.strategy;
  const explain = doc.cited_signals;
  const parts = sections(doc);
  return (
    <div data-testid="strategy-result" data-goal={data.goal}>
      {doc.objective ? (
        <p style={{ marginTop: "0.75rem" }}>
          <strong>Objective:</strong> {doc.objective}.
        </p>
      ) : null}
      {parts.length === 0 ? (
        <p className="state-none">The generator returned no recommendations for this goal.</p>
      ) : (
        <div className="grid grid-2" style={{ marginTop: "0.5rem" }}>
          {parts.map((section) => (
            <div key={section.key}>
              <h3>{section.title}</h3>
              <ul className="recommendations">
                {section.items.map((item, i) => (
                  <Recommendation key={i} item={item} explain={explain} snippets={snippets} />
                ))}
              </ul>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function Recommendation({
  item,
  explain,
  snippets,
}: {
  item: Item;
  explain: Record<string, string>;
  snippets: Map<string, string>;
}) {
  const signals = item.citations.signals;
  const evidence = item.citations.evidence.filter((id) => snippets.has(id));
  return (
    <li className="recommendation" data-testid="recommendation">
      {item.heading ? <div style={{ fontWeight: 600 }}>{item.heading.replace(/_/g, " ")}</div> : null}
      {item.text ? <p style={{ margin: "0.15rem 0 0.3rem" }}>{item.text}</p> : null}
      {signals.length ? (
        <div className="channel">
          Based on: {signals.map((s) => explain[s] ?? s).join("; ")}
        </div>
      ) : null}
      {evidence.map((id) => (
        <blockquote key={id} data-testid="recommendation-evidence" cite={`#member-${id}`}>
          {snippets.get(id)}
        </blockquote>
      ))}
    </li>
  );
}
