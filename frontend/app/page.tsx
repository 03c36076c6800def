import { Suspense } from "react";

import OverviewView from "@/components/OverviewView";
import { Loading } from "@/components/States";

export default function OverviewPage() {
  return (
    <Suspense fallback={<Loading what="the explorer" />}>
      <OverviewView />
    </Suspense>
  );
}
