/**
 * `GET /__lb/metrics`: the cluster's health and traffic in Prometheus's text exposition format
 * (version 0.0.4). Names follow Prometheus's conventions: a `cobrowse_edge_` prefix, `_total` on
 * counters, base units (seconds), one `node` label per node, as HAProxy's exporter does
 * (`haproxy_server_*{proxy,server}`). Counters are the health board's totals across every isolate
 * since it first counted (`cobrowse_edge_counting_since_seconds`): they survive the board's restarts.
 */

import type { NodeTraffic, TrafficView } from '../board/traffic';
import { FAILURE_KINDS, REASONS, STATUS_CLASSES, type TrafficTotals } from '../wire/counts';
import type { HealthSnapshot } from '../wire/health-snapshot';
import { atCapacity } from '../wire/node-load';
import { NODE_STATES, stateOf } from './node-state';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

/** A label value as the format requires: backslash, double quote and line feed escaped. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const pairs = Object.entries(labels).map(([key, text]) => `${key}="${labelValue(text)}"`);
    lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${value}`);
  }
  return lines.join('\n');
}

export function metricsText(snapshot: HealthSnapshot, traffic: TrafficView): string {
  const byId = new Map(traffic.nodes.map((node) => [node.id, node]));
  const nodes = snapshot.nodes.map((health) => ({ health, traffic: byId.get(health.id) }));
  /** One sample per node of a counter at `index` of its totals. */
  const perNode = (value: (node: NodeTraffic) => number, extra: Labels = {}): Sample[] =>
    nodes.map(({ health, traffic: counted }) => [
      { node: health.id, ...extra },
      counted ? value(counted) : 0,
    ]);
  const total = (read: (totals: TrafficTotals) => number) => (node: NodeTraffic) => read(node.totals);
  const seconds = (ms: number) => ms / 1000;
  const families = [
    family(
      'cobrowse_edge_requests_total',
      'counter',
      'Requests sent to the node, by why it was chosen (sticky, url, balanced, owner-down, retry).',
      REASONS.flatMap((reason) =>
        perNode(
          total((totals) => totals.requests[reason]),
          { reason },
        ),
      ),
    ),
    family(
      'cobrowse_edge_responses_total',
      'counter',
      "Answers to the node's requests as the client got them, by status class.",
      STATUS_CLASSES.flatMap((code) =>
        perNode(
          total((totals) => totals.responses[code]),
          { code },
        ),
      ),
    ),
    family(
      'cobrowse_edge_node_failures_total',
      'counter',
      'Requests the node failed: answered 502/503/504 (status), no headers in time (timeout), not reachable, or went down while it waited (node-down).',
      FAILURE_KINDS.flatMap((kind) =>
        perNode(
          total((totals) => totals.failures[kind]),
          { kind },
        ),
      ),
    ),
    family(
      'cobrowse_edge_new_sessions_total',
      'counter',
      'Answers of the node that set the sticky cookie: sessions it started.',
      perNode(total((totals) => totals.newSessions)),
    ),
    family(
      'cobrowse_edge_sessions_ended_total',
      'counter',
      'Requests pinned to the node sent to another node because it was down or disabled (owner-down): each ends its session there.',
      perNode(total((totals) => totals.sessionsEnded)),
    ),
    family(
      'cobrowse_edge_websockets_opened_total',
      'counter',
      'WebSockets opened to the node.',
      perNode(total((totals) => totals.webSocketsOpened)),
    ),
    family(
      'cobrowse_edge_websockets_ended_by_node_total',
      'counter',
      'WebSockets the socket gates cut because their node went down or was disabled.',
      perNode(total((totals) => totals.webSocketsEndedByNode)),
    ),
    family(
      'cobrowse_edge_websockets_ended_total',
      'counter',
      "WebSockets whose end the gates' tail consumer reported (either side closed, or the connection dropped). Zero while sockets open and close: the platform is not delivering the gates' traces, and sockets are held up to an hour each.",
      perNode(total((totals) => totals.webSocketsEnded)),
    ),
    family(
      'cobrowse_edge_websockets_recycled_total',
      'counter',
      'WebSockets the socket gates cut although their node serves: past the backstop (SOCKET_MAX_AGE_S, an hour until any end is reported) with no end reported, or when a gate retired after a deploy.',
      perNode(total((totals) => totals.webSocketsRecycled)),
    ),
    family(
      'cobrowse_edge_websockets_uncuttable_total',
      'counter',
      'WebSockets the router cannot cut: opened while no socket gate answered, or held by a gate that was reset.',
      perNode(total((totals) => totals.webSocketsUncuttable)),
    ),
    family(
      'cobrowse_edge_websockets_held',
      'gauge',
      'WebSockets to the node that the socket gates hold: open now, within a second of each end reported (without end reports, every socket opened within the last hour).',
      perNode((node) => node.heldWebSockets),
    ),
    family(
      'cobrowse_edge_requests_in_flight',
      'gauge',
      'Requests waiting for the node (long-polls among them) or streaming its body now: waiting plus streaming.',
      perNode((node) => node.inFlight),
    ),
    family(
      'cobrowse_edge_requests_waiting',
      'gauge',
      "Requests waiting for the node's response headers now (long-polls it holds): counted in its open sessions.",
      perNode((node) => node.waiting),
    ),
    family(
      'cobrowse_edge_responses_streaming',
      'gauge',
      "The node's response bodies flowing to their clients now: open work, not counted in its open sessions.",
      perNode((node) => node.streaming),
    ),
    family(
      'cobrowse_edge_node_up',
      'gauge',
      'Whether the health checks have the node up (1) or down (0).',
      nodes.map(({ health }) => [{ node: health.id }, health.up ? 1 : 0]),
    ),
    family(
      'cobrowse_edge_node_state',
      'gauge',
      'What routing does with the node now: 1 for its state, 0 for the others.',
      nodes.flatMap(({ health }) => {
        const state = stateOf(health);
        return NODE_STATES.map((each): Sample => [{ node: health.id, state: each }, each === state ? 1 : 0]);
      }),
    ),
    family(
      'cobrowse_edge_node_weight',
      'gauge',
      "The node's share of new sessions, as configured.",
      nodes.map(({ health }) => [{ node: health.id }, health.weight]),
    ),
    family(
      'cobrowse_edge_node_open_sessions',
      'gauge',
      "The node's open sessions as new sessions are balanced by them: WebSockets held plus requests waiting for its response headers.",
      nodes.map(({ health }) => [{ node: health.id }, health.openSessions ?? 0]),
    ),
    family(
      'cobrowse_edge_node_max_sessions',
      'gauge',
      "The node's configured session limit (maxSessions); absent for a node without one.",
      nodes.flatMap(({ health }): Sample[] =>
        health.maxSessions == null ? [] : [[{ node: health.id }, health.maxSessions]],
      ),
    ),
    family(
      'cobrowse_edge_node_full',
      'gauge',
      'Whether the node reached its session limit (1): new sessions go elsewhere, its pinned traffic passes.',
      nodes.map(({ health }) => [
        { node: health.id },
        atCapacity(health.openSessions ?? 0, health.maxSessions) ? 1 : 0,
      ]),
    ),
    family(
      'cobrowse_edge_node_check_failures',
      'gauge',
      'Consecutive failures of the node (active checks and proxied requests); 0 when its last check passed.',
      nodes.map(({ health }) => [{ node: health.id }, health.failures]),
    ),
    family(
      'cobrowse_edge_node_check_latency_seconds',
      'gauge',
      "Time the node's last passed health check took.",
      nodes.flatMap(({ health }): Sample[] =>
        health.latencyMs === null ? [] : [[{ node: health.id }, seconds(health.latencyMs)]],
      ),
    ),
    family(
      'cobrowse_edge_node_last_check_timestamp_seconds',
      'gauge',
      "When the node's last health check ran, in seconds since the epoch.",
      nodes.flatMap(({ health }): Sample[] =>
        health.lastCheckAt === null ? [] : [[{ node: health.id }, seconds(health.lastCheckAt)]],
      ),
    ),
    family(
      'cobrowse_edge_health_board_calls_total',
      'counter',
      'Calls the health board has served since it started.',
      [[{}, snapshot.calls]],
    ),
    family(
      'cobrowse_edge_counting_since_seconds',
      'gauge',
      'When the traffic counters started, in seconds since the epoch.',
      [[{}, seconds(traffic.since)]],
    ),
  ];
  return `${families.join('\n')}\n`;
}
