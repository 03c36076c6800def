import type { Metadata, Viewport } from "next";
import { Suspense } from "react";

import SiteHeader from "@/components/SiteHeader";

import "./globals.css";

export const metadata: Metadata = {
  title: "Personas explorer",
  description: "Behavioral personas found in customer conversations and product-usage events, with the evidence behind them.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <Suspense fallback={<header className="site-header" />}>
          <SiteHeader />
        </Suspense>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}
