/**
 * The proxy handler: read health, choose the node, forward, and when the node fails before answering,
 * follow worker/failover.ts (another node, a check whether the node is dead, or the error); report
 * failures to the health board off the response path; log the outcome.
 */
import type { Bindings } from '../config/bindings';
import type { NodeConfig } from '../config/roster';
import { EdgeError, errorResponse } from '../lib/errors';
import { logEvent, requestIdOf } from '../lib/log';
import { availabilityFrom } from '../wire/availability';
import { AT } from '../wire/counts';
import { isDead } from '../wire/node-probe';
import { headTooLarge, refusal } from './admission';
import { writeRequestPoint } from './analytics';
import { placementFrom } from './balance';
import { type AttemptFacts, nextStep } from './failover';
import { forward } from './forward';
import { throughGate } from './gate-client';
import { isWebSocketHandshake, setsCookie } from './headers';
import { isolate } from './isolate';
import { BodyEndedEarly, NO_BODY, outgoingBody, sendsBody } from './outgoing-body';
import { mergeSlashes } from './path-policy';
import {
  bodyEnded,
  clientGone,
  clusterFull,
  methodNotAllowed,
  nodeFailed,
  noNodeAvailable,
  notRouted,
} from './proxy-errors';
import { clientKey, isLimited, limitRefusal } from './rate-limits';
import type { RequestHead } from './request-head';
import { isRoutine, type RequestLog, requestLine } from './request-log';
import { elsewhereRoute, isWithin, readPin, route, takesNewSessions } from './routing';
import { isHandshake } from './session-start';

/** Answers from a node that count against its health (it is failing, not the request). */
const GATEWAY_FAILURES = new Set([502, 503, 504]);

/** Methods that are safe to repeat anywhere when they carry no body. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The methods Co-browse uses; anything else (TRACE, PROPFIND, ...) never reaches a node. */
const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * Answers one client request whose parsed URL is `url`: the node's response, or the JSON error the
 * client gets instead (every failure, expected or not, becomes one).
 */
export async function proxy(
  request: Request,
  url: URL,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<Response> {
  try {
    return await routeAndForward(request, url, env, ctx);
  } catch (error) {
    return errorResponse(error);
  }
}

async function routeAndForward(
  request: Request,
  url: URL,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<Response> {
  const config = isolate.config(env);
  // One string for the prefix check, the policy, the log and the node: nothing is parsed again later.
  const path = mergeSlashes(url.pathname);
  if (!isWithin(path, config.pathPrefix)) {
    throw notRouted(config.pathPrefix);
  }
  const started = Date.now();
  const { headers, method } = request;
  const head: RequestHead = {
    method,
    headers,
    path,
    target: path + url.search,
    cookie: headers.get('cookie'),
    webSocket: isWebSocketHandshake(headers),
    requestId: requestIdOf(headers),
  };
  const { requestId, webSocket } = head;
  /** Nodes that failed this request, made at the first failure (nearly no request has one). */
  let tried: Set<string> | undefined;
  /**
   * The request's one log line, and its count when a node was chosen; `retriedFrom` lists the nodes
   * that failed before `node`.
   */
  const logAs = (outcome: Pick<RequestLog, 'node' | 'reason' | 'status'> & { failure?: string }) => {
    const durationMs = Date.now() - started;
    const { node, reason, status } = outcome;
    const routine = isRoutine(outcome);
    if (node !== null && reason !== null) {
      isolate.tally.countAnswer(node, reason, status);
      // The session's own node failed it: counted there, where the operator looks for the cause.
      if (reason === 'owner-down' && pin) isolate.tally.countEvent(pin.node.id, AT.sessionsEnded);
      isolate.health.handOverSoon(env, ctx);
      if (env.TRAFFIC) {
        const weight = routine
          ? isolate.points.weightOf(
              `${node} ${reason} ${Math.floor(status / 100)}`,
              config.analyticsSampleRate,
            )
          : 1;
        const point = { node, reason, status, requestId, webSocket, durationMs };
        if (weight > 0) writeRequestPoint(env.TRAFFIC, point, weight, ctx);
      }
    }
    const line = requestLine(routine, config.logRequests, config.logSampleRate);
    if (!line) return;
    const retriedFrom = tried ? [...tried].filter((id) => id !== node) : [];
    logEvent('request', {
      requestId,
      method,
      path,
      webSocket,
      ...outcome,
      durationMs,
      ...(retriedFrom.length > 0 ? { retriedFrom } : {}),
      ...line,
    } satisfies RequestLog & { sampleRate?: number });
  };
  if (!ALLOWED_METHODS.has(method)) {
    const refused = methodNotAllowed(method, ALLOWED_METHODS);
    logAs({ node: null, reason: null, status: refused.status, failure: `method ${method} refused` });
    throw refused;
  }
  const refused = refusal(head, config);
  if (refused) {
    logAs({ node: null, reason: null, status: refused.status, failure: refused.message });
    throw refused;
  }
  const { onMarkedDown } = config.health;
  let pin = readPin(url, head.cookie, config);
  // Bodyless requests (nearly all) skip the await: it is measurable per request.
  const { body, replayable, streamed } = sendsBody(request, method)
    ? await outgoingBody(request, headers, config).catch((error: unknown) => {
        // A body of unknown length that stopped, or passed MAX_BODY_BYTES, while it was being read.
        if (!(error instanceof BodyEndedEarly)) throw error;
        const ended = bodyEnded(error.how, config.maxBodyBytes);
        logAs({ node: null, reason: null, status: ended.status, failure: error.how });
        throw ended;
      })
    : NO_BODY;
  if (isLimited(method, webSocket)) {
    const limited = await limitRefusal(head, pin !== undefined, body, env);
    if (limited) {
      logAs({ node: null, reason: null, status: 429, failure: limited.message });
      throw limited;
    }
  }
  // Nearly always the isolate's copy as it is, without an await (counted: 12,000 of a sticky GET's
  // 3.3 million estimated cycles, BENCHMARKS.md).
  const snapshot = isolate.health.readNow(env, ctx) ?? (await isolate.health.read(env, ctx));
  const availabilityOf = availabilityFrom(snapshot, onMarkedDown);
  const placement = placementFrom(snapshot, config.balance);
  // A new session goes where new sessions may go, whatever its pin says.
  if (
    pin &&
    method === 'POST' &&
    !takesNewSessions(pin.node, availabilityOf, placement.loadOf) &&
    isHandshake(path, body, headers.get('content-type'))
  ) {
    pin = undefined;
  }
  const first = route(pin, config, availabilityOf, placement);
  if (typeof first !== 'object') {
    const refused = first === 'full' ? clusterFull() : noNodeAvailable();
    logAs({ node: null, reason: null, status: 503, failure: refused.code });
    throw refused;
  }
  let chosen = first;
  const options = {
    head,
    requestIdToNode: config.requestIdToNodes,
    body,
    headerTimeoutMs: config.connectTimeoutMs,
    watch: (node: NodeConfig, alive: () => void) => isolate.watches.watch(node, config, env, ctx, alive),
    tally: isolate.tally,
    ctx,
    bodyStopped: streamed?.stopped,
    // Handshakes only: a client over its share of open sockets gets its 429 logged like any refusal.
    throughGate: (node: NodeConfig, gateTarget: string, headers: Headers) =>
      throughGate(env, config, node, gateTarget, headers, clientKey(head.headers), isolate.gateTrouble).catch(
        (error) => {
          if (error instanceof EdgeError) {
            logAs({ node: node.id, reason: chosen.reason, status: error.status, failure: error.code });
          }
          throw error;
        },
      ),
  };

  for (;;) {
    const { node, reason } = chosen;
    const result = await forward(request, url, node, options);
    if (result.ok) {
      const { status, headers } = result.response;
      if (GATEWAY_FAILURES.has(status)) {
        isolate.health.reportFailure(env, ctx, node.id, 'status', `answered ${status}`);
        isolate.tally.countFailure(node.id, 'status');
      }
      if (status === 101) isolate.tally.countEvent(node.id, AT.webSocketsOpened);
      else if (setsCookie(headers, config.stickyCookie)) isolate.tally.countEvent(node.id, AT.newSessions);
      logAs({ node: node.id, reason, status });
      return result.response;
    }
    // The client went away while its node worked on the request (the attempt was ended for it): nobody
    // reads this answer, and the node is not blamed.
    if (request.signal.aborted) {
      const gone = clientGone();
      logAs({ node: node.id, reason, status: gone.status, failure: 'client-gone' });
      throw gone;
    }
    // A node drops a head larger than it accepts: the client is told that, and the node is not blamed.
    const tooLarge = result.failure === 'unreachable' && headTooLarge(head, config);
    if (tooLarge) {
      logAs({ node: node.id, reason, status: 431, failure: result.detail });
      throw tooLarge;
    }
    // The client stopped sending its body, or sent more than MAX_BODY_BYTES: its doing, not the node's.
    const clientEnded = streamed?.ended;
    if (clientEnded) {
      const ended = bodyEnded(clientEnded, config.maxBodyBytes);
      logAs({ node: node.id, reason, status: ended.status, failure: clientEnded });
      throw ended;
    }
    // The board already knows a node it marked down; anything else is news for it.
    if (result.failure !== 'node-down')
      isolate.health.reportFailure(env, ctx, node.id, result.failure, result.detail);
    isolate.tally.countFailure(node.id, result.failure);
    tried ??= new Set();
    tried.add(node.id);
    const facts: AttemptFacts = {
      pinned: pin !== undefined,
      safeWithoutBody: body === null && SAFE_METHODS.has(method),
      replayable,
    };
    let step = nextStep(facts, result.failure);
    if (step.kind === 'confirm') step = nextStep(facts, result.failure, await isDead(node, config.health));
    if (step.kind !== 'elsewhere') {
      const failed = nodeFailed(node.id, result.failure, result.detail);
      logAs({ node: node.id, reason, status: failed.status, failure: result.detail });
      throw failed;
    }
    const now = await isolate.health.read(env, ctx);
    const next = elsewhereRoute(
      config,
      availabilityFrom(now, onMarkedDown),
      tried,
      step.reason,
      placementFrom(now, config.balance),
    );
    if (typeof next !== 'object') {
      logAs({ node: node.id, reason, status: 503, failure: result.detail });
      const details = { node: node.id, failure: result.detail };
      throw next === 'full' ? clusterFull(details) : noNodeAvailable(details);
    }
    chosen = next;
  }
}
