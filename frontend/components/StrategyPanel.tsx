"use client";

import { useEffect, useState } from "react";

import { ErrorState, Loading } from "@/components/States";
import { ApiError, apiPost, paths, type Evidence, type StrategyItem, type StrategyResponse } from "@/lib/api";
import { toApiError } from "@/lib/useApi";

/** The goals `ml.strategy.generate_strategy` knows (ml.strategy.generator.GOALS). */
export const GOALS: { value: string; label: string }[] = [
  { value: "retention", label: "Retention: keep these people" },
  { value: "acquisition", label: "Acquisition: win new people like these" },
  { value: "win_back", label: "Win back: bring these people back" },
  { value: "support_deflection", label: "Support deflection: answer before they ask" },
  { value: "upsell", label: "Upsell: offer these people more" },
];

type State =
  | { status: "ok"; key: string; data: StrategyResponse }
  | { status: "error"; key: string; error: ApiError };

interface Section {
  key: string;
  title: string;
  items: StrategyItem[];
}

function sections(doc: StrategyResponse["strategy"]): Section[] {
  const one = (item: StrategyItem | undefined) => (item ? [item] : []);
  return [
    { key: "positioning", title: "Positioning", items: one(doc.positioning) },
    { key: "key_messages", title: "Key messages", items: doc.key_messages ?? [] },
    { key: "channels", title: "Channels", items: doc.channels ?? [] },
    { key: "timing", title: "Timing", items: one(doc.timing) },
    { key: "tone", title: "Tone", items: one(doc.tone) },
    { key: "offers", title: "Offers", items: doc.offers ?? [] },
    { key: "kpis", title: "How to measure it", items: doc.kpis ?? [] },
    { key: "risks", title: "Risks", items: doc.risks ?? [] },
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
  const [goal, setGoal] = useState(GOALS[0]?.value ?? "retention");
  const [state, setState] = useState<State | null>(null);
  const key = `${runId}|${personaId}|${goal}`;

  useEffect(() => {
    const controller = new AbortController();
    apiPost<StrategyResponse>(paths.strategy(), { run_id: runId, persona_id: personaId, goal }, controller.signal).then(
      (data) => setState({ status: "ok", key, data }),
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ status: "error", key, error: toApiError(err) });
      },
    );
    return () => controller.abort();
  }, [runId, personaId, goal, key]);

  const current = state && state.key === key ? state : null;
  const snippets = new Map(evidence.map((e) => [e.member_id, e.text]));

  return (
    <div data-testid="strategy-panel">
      <div className="controls">
        <label htmlFor="goal-select">Goal</label>
        <select id="goal-select" value={goal} onChange={(e) => setGoal(e.target.value)} data-testid="goal-select">
          {GOALS.map((g) => (
            <option key={g.value} value={g.value}>
              {g.label}
            </option>
          ))}
        </select>
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
  const explain = doc.cited_signals ?? {};
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
  item: StrategyItem;
  explain: Record<string, string>;
  snippets: Map<string, string>;
}) {
  const text = item.channel ? item.rationale : item.text;
  const signals = item.citations?.signals ?? [];
  const evidence = (item.citations?.evidence ?? []).filter((id) => snippets.has(id));
  return (
    <li className="recommendation" data-testid="recommendation">
      {item.channel ? <div style={{ fontWeight: 600 }}>{item.channel.replace(/_/g, " ")}</div> : null}
      {item.name && !item.channel ? <div style={{ fontWeight: 600 }}>{item.name.replace(/_/g, " ")}</div> : null}
      {text ? <p style={{ margin: "0.15rem 0 0.3rem" }}>{text}</p> : null}
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
