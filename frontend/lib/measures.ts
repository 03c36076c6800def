/**
 * Colour measures for the persona treemap: categorical (persona), per-persona metrics from the
 * list endpoint (`metrics`) and the behavioural fingerprint (`feature_z`, standardised difference).
 */
import type { PersonaSummary } from "./api";
import { diverging, personaColors, sequential } from "./colors";
import type { FeatureWords } from "./features";
import { featureLabel, finite, num, pct, termLabel } from "./format";

export interface Measure {
  key: string;
  label: string;
  /** centred: a share coloured below (blue) or above (red) everyone's, the size-weighted mean (white). */
  kind: "category" | "share" | "diverging" | "centred";
  description: string;
  /** A word shown after the value on a treemap cell ("22.6% negative"). */
  unit?: string;
  value: (p: PersonaSummary) => number | null;
}

/** How a per-persona metric is named, explained and coloured ("centred": around everyone's value). */
interface MetricInfo {
  label: string;
  description: string;
  unit?: string;
  kind?: "share" | "centred";
}

const METRIC_INFO: Record<string, MetricInfo> = {
  reassigned_share: {
    label: "Reassigned share",
    unit: "reassigned",
    description: "Share of members that clustering left as noise and were reassigned to their nearest persona.",
  },
  core_share: {
    label: "Core share",
    unit: "core",
    description: "Share of members the clustering placed in the persona directly.",
  },
  separability: {
    label: "Separability",
    unit: "separable",
    description: "Accuracy of a simple classifier telling this persona from the rest.",
  },
  negative_share: {
    label: "Negative tone",
    unit: "negative",
    kind: "centred",
    description:
      "Share of members whose text reads negative (VADER): red above everyone's share, blue below, white alike. Compare personas within this run: on complaint data the level runs low, and polite complaints read less negative.",
  },
  night_share: {
    label: "Night activity",
    unit: "at night",
    description: "Share of messages posted 22:00–05:59 in the run's clock (UTC unless the timestamps carry offsets or the run set --timezone).",
  },
  business_hours_share: {
    label: "Business hours",
    unit: "in business hours",
    description: "Share of messages posted Mon–Fri 09:00–17:59 in the run's clock (UTC unless the timestamps carry offsets or the run set --timezone).",
  },
  weekend_share: {
    label: "Weekend activity",
    unit: "at weekends",
    description: "Share of messages posted on Saturday or Sunday in the run's clock (UTC unless the timestamps carry offsets or the run set --timezone).",
  },
};

/** Metrics read on the run's clock (hours or weekdays). */
const CLOCK_METRICS = new Set(["night_share", "business_hours_share", "weekend_share"]);

/** Event runs: "reassigned" means flagged as mixed, and the fingerprint features are events. */
const EVENT_METRIC_INFO: Record<string, MetricInfo> = {
  reassigned_share: {
    label: "Mixed share",
    unit: "mixed",
    description: "Share of users flagged as mixed: their top two personas' shares differ by less than the run's margin.",
  },
  core_share: {
    label: "Clear share",
    unit: "clear",
    description: "Share of users who clearly belong to this persona (not mixed).",
  },
};

/** All measures the personas of a run offer, persona colours first (`eventRun`: wording for users × events). */
export function availableMeasures(personas: PersonaSummary[], eventRun = false, words?: FeatureWords,
                                  clock?: string): Measure[] {
  const label = words?.label ?? featureLabel;
  const measures: Measure[] = [
    {
      key: "persona",
      label: "Persona (same colours as the map)",
      kind: "category",
      description: "Each persona has its own colour; in a run of many personas with families, the personas of one family are shades of one hue.",
      value: (p) => p.id,
    },
  ];
  const metricKeys = new Set<string>();
  const featureKeys = new Set<string>();
  for (const p of personas) {
    for (const [k, v] of Object.entries(p.metrics ?? {})) if (finite(v) !== null) metricKeys.add(k);
    for (const [k, v] of Object.entries(p.feature_z ?? {})) if (finite(v) !== null) featureKeys.add(k);
  }
  if (!metricKeys.has("reassigned_share") && personas.some((p) => finite(p.reassigned_count) !== null)) {
    metricKeys.add("reassigned_share");
  }
  for (const key of metricKeys) {
    const info: MetricInfo = (eventRun ? EVENT_METRIC_INFO[key] : undefined) ??
      METRIC_INFO[key] ?? { label: label(key), description: words?.meaning(key) || key };
    measures.push({
      key: `metric:${key}`,
      label: info.label,
      kind: info.kind ?? "share",
      description: info.description,
      // a share of hours or days says its clock on the cell ("72.1% at night (UTC)"), as the persona page does
      unit: info.unit && clock && CLOCK_METRICS.has(key) ? `${info.unit} (${clock})` : info.unit,
      value: (p) => {
        const v = finite(p.metrics?.[key]);
        if (v !== null) return v;
        if (key === "reassigned_share" && p.size > 0 && finite(p.reassigned_count) !== null) {
          return (p.reassigned_count as number) / p.size;
        }
        return null;
      },
    });
  }
  for (const key of [...featureKeys].sort()) {
    // event runs: the event as people read it ("Assignment · Submission form viewed"), the volume in words
    const eventName = key === "total_events" ? "events in total" : termLabel(key);
    const what = !eventRun ? label(key).toLowerCase() : key === "total_events" ? eventName : `share of “${eventName}” events`;
    measures.push({
      key: `feature:${key}`,
      label: `${eventRun ? "Event" : "Behaviour"}: ${eventRun ? eventName : label(key)}`,
      kind: "diverging",
      description: `How far the persona's ${what} lies above (orange/red) or below (blue) the population, in standard deviations.`,
      value: (p) => finite(p.feature_z?.[key]),
    });
  }
  return measures;
}

export interface Coloring {
  color: (p: PersonaSummary) => string;
  format: (v: number | null) => string;
  min: number;
  max: number;
}

/** Colour function and scale for a measure over the given personas. */
export function coloring(
  measure: Measure,
  personas: PersonaSummary[],
  families: { id: number; persona_ids: number[] }[] = [],
): Coloring {
  if (measure.kind === "category") {
    const colors = personaColors(
      personas.map((p) => p.id),
      families,
    );
    return {
      color: (p) => colors.get(p.id) ?? "#7F7F7F",
      format: (v) => (v === null ? "–" : String(v)),
      min: 0,
      max: personas.length,
    };
  }
  const values = personas.map(measure.value).filter((v): v is number => v !== null);
  if (measure.kind === "diverging") {
    const bound = Math.max(0.5, ...values.map((v) => Math.abs(v)));
    return {
      color: (p) => {
        const v = measure.value(p);
        return v === null ? "#cccccc" : diverging(v / bound);
      },
      format: (v) => (v === null ? "–" : `${v >= 0 ? "+" : ""}${num(v, 2)} sd`),
      min: -bound,
      max: bound,
    };
  }
  if (measure.kind === "centred") {
    const weighted = personas.map((p) => [measure.value(p), p.size] as const).filter(([v]) => v !== null);
    const total = weighted.reduce((n, [, size]) => n + size, 0);
    const centre = total ? weighted.reduce((sum, [v, size]) => sum + (v as number) * size, 0) / total : 0;
    const bound = Math.max(0.05, ...values.map((v) => Math.abs(v - centre)));
    return {
      color: (p) => {
        const v = measure.value(p);
        return v === null ? "#cccccc" : diverging((v - centre) / bound);
      },
      format: (v) => pct(v, 1),
      min: Math.max(0, centre - bound),
      max: Math.min(1, centre + bound),
    };
  }
  const min = values.length ? Math.min(...values) : 0;
  const max = values.length ? Math.max(...values) : 1;
  const span = max - min || 1;
  return {
    color: (p) => {
      const v = measure.value(p);
      return v === null ? "#cccccc" : sequential((v - min) / span);
    },
    format: (v) => pct(v, 1),
    min,
    max,
  };
}
