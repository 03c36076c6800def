"use client";

import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";

/** Top bar: product name and the two run-level views, keeping the selected run. */
export default function SiteHeader() {
  const params = useSearchParams();
  const pathname = usePathname();
  const run = params.get("run");
  const suffix = run ? `?run=${encodeURIComponent(run)}` : "";
  const links = [
    { href: `/${suffix}`, label: "Overview", active: pathname === "/" || pathname.startsWith("/persona") },
    { href: `/map/${suffix}`, label: "Member map", active: pathname.startsWith("/map") },
  ];
  return (
    <header className="site-header">
      <Link href={`/${suffix}`} className="brand">
        Personas
      </Link>
      <nav aria-label="Views">
        <ul>
          {links.map((l) => (
            <li key={l.label}>
              <Link href={l.href} aria-current={l.active ? "page" : undefined}>
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  );
}
