import type { Map as MapLibreMap } from 'maplibre-gl';

declare global {
  interface Window {
    /** The console's map instance (read by browser tests and handy in the devtools console). */
    __cityloopMap?: MapLibreMap;
  }
}
