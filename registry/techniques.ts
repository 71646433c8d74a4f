/**
 * The six push techniques, written once: the server, the page bundle, the benchmark and the
 * report all import this list. It imports nothing, so the browser bundle can take it without
 * pulling in server code. The order of `techniqueIds` is the order everything lists them in:
 * from the oldest trick to the newest standard.
 */

/** Every technique id, in reading order. */
export const techniqueIds = ['short-poll', 'long-poll', 'jsonp', 'iframe', 'sse', 'websocket'] as const;
/** A technique id. */
export type TechniqueId = (typeof techniqueIds)[number];

/** How a technique delivers: one answer per request (`polling`) or a long-lived connection (`streaming`). */
export type TechniqueGroup = 'polling' | 'streaming';

/** What everything else needs to know about a technique. */
export interface TechniqueInfo {
  readonly id: TechniqueId;
  /** The name a page shows as a title: `Server-Sent Events`. */
  readonly name: string;
  /** The name in running text and chart labels: `SSE`, `short polling`. */
  readonly shortName: string;
  /** Its colour in every chart and on the pages (Observable 10), so it looks the same everywhere. */
  readonly colour: string;
  readonly group: TechniqueGroup;
  /** The path a client subscribes on. */
  readonly route: string;
}

/** Each technique by id. */
export const techniques: Readonly<Record<TechniqueId, TechniqueInfo>> = {
  'short-poll': {
    id: 'short-poll',
    name: 'Short polling',
    shortName: 'short polling',
    colour: '#4269d0',
    group: 'polling',
    route: '/api/short-poll',
  },
  'long-poll': {
    id: 'long-poll',
    name: 'Long polling',
    shortName: 'long polling',
    colour: '#efb118',
    group: 'polling',
    route: '/api/long-poll',
  },
  jsonp: { id: 'jsonp', name: 'JSONP', shortName: 'JSONP', colour: '#ff725c', group: 'polling', route: '/api/jsonp' },
  iframe: {
    id: 'iframe',
    name: 'Hidden-iframe streaming',
    shortName: 'iframe streaming',
    colour: '#6cc5b0',
    group: 'streaming',
    route: '/api/iframe',
  },
  sse: { id: 'sse', name: 'Server-Sent Events', shortName: 'SSE', colour: '#3ca951', group: 'streaming', route: '/api/sse' },
  websocket: { id: 'websocket', name: 'WebSocket', shortName: 'WebSocket', colour: '#a463f2', group: 'streaming', route: '/api/ws' },
};

/** Whether `value` is a technique id. */
export function isTechniqueId(value: string): value is TechniqueId {
  return (techniqueIds as readonly string[]).includes(value);
}

/** The ids of one group, in reading order. */
export function techniquesIn(group: TechniqueGroup): TechniqueId[] {
  return techniqueIds.filter((id) => techniques[id].group === group);
}
