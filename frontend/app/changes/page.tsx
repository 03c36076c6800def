import { Suspense } from "react";

import { Loading } from "@/components/States";
import WhatChangedView from "@/components/WhatChangedView";

export default function WhatChangedPage() {
  return (
    <Suspense fallback={<Loading what="what changed" />}>
      <WhatChangedView />
    </Suspense>
  );
}
