import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

/**
 * Production (`next build`): a static export in `out/`, served by the backend at `/`
 * (one process, API under `/api/v1` on the same origin).
 *
 * Development (`next dev`): no export; `/api/*` is proxied to the backend named by
 * PERSONAS_BACKEND_URL (default http://127.0.0.1:8000), so the browser stays same-origin.
 * NEXT_PUBLIC_API_BASE overrides the API base the browser calls directly (needs CORS there).
 */
export default function nextConfig(phase: string): NextConfig {
  const base: NextConfig = {
    output: "export",
    trailingSlash: true,
    images: { unoptimized: true },
    reactStrictMode: true,
    poweredByHeader: false,
  };
  if (phase !== PHASE_DEVELOPMENT_SERVER) {
    return base;
  }
  const backend = (process.env.PERSONAS_BACKEND_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
  return {
    ...base,
    output: undefined,
    skipTrailingSlashRedirect: true,
    allowedDevOrigins: ["127.0.0.1", "localhost"],
    async rewrites() {
      return [{ source: "/api/:path*", destination: `${backend}/api/:path*` }];
    },
  };
}
