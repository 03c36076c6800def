"use client";

import { useEffect, useState } from "react";

import { ApiError, apiGet, type ApiPath } from "./api";

export type ApiState<T> =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "error"; error: ApiError }
  | { status: "ok"; data: T };

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, "unexpected", err instanceof Error ? err.message : String(err));
}

/**
 * GET `path` (from `paths` / `apiPath`, which also gives the answer's type) and follow it as it changes;
 * `null` means "nothing to fetch yet". The state is keyed by path, so a new path shows "loading" until
 * its own answer arrives.
 */
export function useApi<T>(path: ApiPath<T> | null): ApiState<T> {
  const [result, setResult] = useState<{ path: string; data?: T; error?: ApiError } | null>(null);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    apiGet<T>(path, controller.signal).then(
      (data) => setResult({ path, data }),
      (err: unknown) => {
        if (!controller.signal.aborted) setResult({ path, error: toApiError(err) });
      },
    );
    return () => controller.abort();
  }, [path]);

  if (path === null) return { status: "idle" };
  if (result === null || result.path !== path) return { status: "loading" };
  if (result.error) return { status: "error", error: result.error };
  return { status: "ok", data: result.data as T };
}

export { toApiError };
