import { Suspense } from "react";

import MapView from "@/components/MapView";
import { Loading } from "@/components/States";

export default function MapPage() {
  return (
    <Suspense fallback={<Loading what="the map" />}>
      <MapView />
    </Suspense>
  );
}
