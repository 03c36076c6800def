import { Suspense } from "react";

import PersonaView from "@/components/PersonaView";
import { Loading } from "@/components/States";

export default function PersonaPage() {
  return (
    <Suspense fallback={<Loading what="the persona" />}>
      <PersonaView />
    </Suspense>
  );
}
