"use client";

/**
 * Plain words for the behavioural features, from the API's one table (`GET /features`): every screen
 * that names a feature uses `useFeatureWords()` so raw column names ("hour cos", "digit ratio")
 * never reach people. The table is fetched once per page load and shared by all components.
 */
import { useEffect, useMemo, useState } from "react";

import { apiGet, paths, type FeatureInfo } from "./api";
import { featureLabel, termLabel, truncate } from "./format";

export interface FeatureWords {
  /** Plain label ("Night-time posting"); the spaced name while the table loads or when unknown. */
  label: (name: string) => string;
  /** One line on what a higher value means ("" when unknown). */
  meaning: (name: string) => string;
  /** The label on a chart axis: a known feature's label; another name (an event run's event) cut to two lines. */
  axis: (name: string) => string;
}

let table: Promise<Map<string, FeatureInfo>> | null = null;

function loadTable(): Promise<Map<string, FeatureInfo>> {
  table ??= apiGet(paths.features()).then(
    (body) => new Map(body.features.map((f) => [f.name, f])),
    () => {
      table = null; // retry on the next use
      return new Map<string, FeatureInfo>();
    },
  );
  return table;
}

/** Characters of an unknown name (an event) on a chart axis: two lines of a 200 px axis at 12 px. */
const AXIS_CHARS = 44;

/** Features read off the clock (ml.ingest.timebasis.CLOCK_FEATURES): their label names the run's clock. */
export const CLOCK_FEATURES = new Set(["hour_sin", "hour_cos", "night_share", "business_hours_share", "weekend_share"]);

/** Which way a clock feature's higher value points: its label names both ends ("midnight ↔ noon"). */
export const CLOCK_ENDS: Record<string, [string, string]> = {
  hour_sin: ["toward morning", "toward evening"],
  hour_cos: ["toward midnight", "toward noon"],
};

/**
 * A time-of-day feature's label with the end its difference points to ("Time of day (toward midnight)"); other
 * features' labels as they are. A bar to the right of "Time of day (midnight ↔ noon)" read as "toward noon" while
 * a higher `hour_cos` is toward midnight (an explorer review: a night persona's bar).
 */
export function pointedLabel(label: string, feature: string, diff: number): string {
  const ends = CLOCK_ENDS[feature];
  if (!ends) return label;
  return label.replace(/\(([^()]*↔[^()]*)\)/, `(${diff >= 0 ? ends[0] : ends[1]})`);
}

/**
 * `clock` (`clockLabel`'s words, e.g. "UTC-08:00"): a clock feature's label says which clock it reads
 * ("Night-time posting (UTC-08:00)"), since "night" on a UTC or fixed-offset run is not necessarily the
 * customers' night. Without it, labels are as listed.
 */
export function featureWords(map: Map<string, FeatureInfo>, clock?: string | null): FeatureWords {
  // an event run's features are its events: "Assignment · Submission form viewed" (termLabel), not the joined name
  const plain = (name: string) => map.get(name)?.label ?? featureLabel(termLabel(name));
  const label = (name: string) => (clock && CLOCK_FEATURES.has(name) ? `${plain(name)} (${clock})` : plain(name));
  return {
    label,
    meaning: (name) => map.get(name)?.meaning ?? "",
    axis: (name) => (map.has(name) ? label(name) : truncate(label(name), AXIS_CHARS)),
  };
}

export function useFeatureWords(clock?: string | null): FeatureWords {
  const [map, setMap] = useState<Map<string, FeatureInfo>>(new Map());
  useEffect(() => {
    let live = true;
    loadTable().then((m) => {
      if (live) setMap(m);
    });
    return () => {
      live = false;
    };
  }, []);
  return useMemo(() => featureWords(map, clock), [map, clock]);
}
