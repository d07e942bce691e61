/**
 * A node's traffic on the status page: the figures an operator reads at a glance, a picture of the
 * last 15 minutes (inline SVG, server-rendered: no script, no external asset), and for a draining or
 * disabled node the drain countdown: what still runs on it, or since when nothing has.
 */
import type { FC } from 'hono/jsx';
import type { NodeTraffic } from '../board/traffic';
import { FAILURE_KINDS } from '../wire/counts';

const WIDTH = 270;
const HEIGHT = 48;

/** The series of the picture, by their index in a history entry, with their colours. */
const SERIES = [
  { index: 0, label: 'requests', color: '#0969da' },
  { index: 1, label: 'new sessions', color: '#1a7f37' },
  { index: 2, label: 'ended sessions', color: '#cf222e' },
] as const;

function points(history: readonly (readonly number[])[], index: number, max: number): string {
  const step = WIDTH / Math.max(history.length - 1, 1);
  return history
    .map(
      (entry, i) =>
        `${(i * step).toFixed(1)},${(HEIGHT - ((entry[index] ?? 0) / max) * (HEIGHT - 2) - 1).toFixed(1)}`,
    )
    .join(' ');
}

/** The last 15 minutes: one line per series, each scaled to the largest value of all of them. */
const History: FC<{ traffic: NodeTraffic; bucketMs: number }> = ({ traffic, bucketMs }) => {
  const max = Math.max(
    1,
    ...traffic.history.flatMap((entry) => SERIES.map(({ index }) => entry[index] ?? 0)),
  );
  const minutes = Math.round((traffic.history.length * bucketMs) / 60_000);
  return (
    <figure class="history">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        height={HEIGHT}
        role="img"
        aria-label={`${traffic.id}: requests, new and ended sessions per ${bucketMs / 1000} s over the last ${minutes} minutes`}
        preserveAspectRatio="none"
      >
        <rect width={WIDTH} height={HEIGHT} fill="#f6f8fa" />
        {SERIES.map(({ index, color }) => (
          <polyline
            points={points(traffic.history, index, max)}
            fill="none"
            stroke={color}
            stroke-width="1.5"
          />
        ))}
      </svg>
      <figcaption>
        last {minutes} min, peak {max} per {bucketMs / 1000} s:{' '}
        {SERIES.map(({ label, color }) => (
          <span class="key" style={`color:${color}`}>
            {label}{' '}
          </span>
        ))}
      </figcaption>
    </figure>
  );
};

/** `1 WebSocket`, `2 WebSockets`. */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

/**
 * What a restart of a node taken out of rotation would end now. Quiet means: no socket, no request in
 * flight (waiting for the node or streaming its body: a restart cuts both) and no pinned request for as
 * long as it says.
 */
const DrainCountdown: FC<{ traffic: NodeTraffic; deadline: number | null; now: number }> = ({
  traffic,
  deadline,
  now,
}) => {
  const { heldWebSockets, inFlight, streaming, pinnedLastMinute, quietSince } = traffic;
  const until = deadline !== null && (
    <span data-deadline={deadline}>
      {' '}
      Disabled at {clock(deadline)} UTC (in {Math.max(0, Math.round((deadline - now) / 1000))} s).
    </span>
  );
  if (quietSince !== null && pinnedLastMinute === 0) {
    return (
      <p class="drain quiet" data-drain="quiet">
        Quiet since {clock(quietSince)} UTC ({Math.round((now - quietSince) / 1000)} s): a restart now ends no
        session the router has seen.{until}
      </p>
    );
  }
  return (
    <p class="drain busy" data-drain="busy">
      Still on it: {counted(heldWebSockets, 'WebSocket')} held, {counted(inFlight, 'request')} in flight
      {streaming > 0 && ` (${streaming} streaming a body)`}, {counted(pinnedLastMinute, 'session request')} in
      the last minute.{until}
    </p>
  );
};

export const TrafficFigures: FC<{
  traffic: NodeTraffic;
  bucketMs: number;
  draining: boolean;
  /** A drain's deadline (epoch ms), or null. */
  deadline: number | null;
  now: number;
}> = ({ traffic, bucketMs, draining, deadline, now }) => {
  const { totals } = traffic;
  const failures = FAILURE_KINDS.reduce((total, kind) => total + totals.failures[kind], 0);
  return (
    <>
      {draining && <DrainCountdown traffic={traffic} deadline={deadline} now={now} />}
      <dl class="traffic">
        <dt>requests</dt>
        <dd data-figure="requests-per-second">{traffic.requestsPerSecond} /s</dd>
        <dt>new sessions</dt>
        <dd data-figure="new-sessions">{traffic.newSessionsLastMinute} in the last minute</dd>
        <dt>WebSockets</dt>
        <dd
          data-figure="websockets"
          title="opened within the socket age limit and not cut: at most this many are open"
        >
          {traffic.heldWebSockets} held
        </dd>
        <dt>in flight</dt>
        <dd
          data-figure="in-flight"
          title="waiting for the node's headers (open sessions, with the WebSockets) or streaming its body to a client (not a session)"
        >
          {traffic.inFlight} requests: {traffic.waiting} waiting, {traffic.streaming} streaming
        </dd>
        <dt>ended sessions</dt>
        <dd data-figure="ended">{totals.sessionsEnded} since counting began</dd>
        <dt>errors</dt>
        <dd data-figure="errors">
          {totals.responses['5xx']} answers 5xx, {failures} node failures
        </dd>
      </dl>
      <History traffic={traffic} bucketMs={bucketMs} />
    </>
  );
};
