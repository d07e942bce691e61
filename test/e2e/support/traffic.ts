/**
 * Live Co-browse-like traffic through the router: sessions pinned to their nodes, each polling its
 * own state in a loop, recording every answer with the time it was asked.
 */

export interface Answer {
  /** Epoch ms when the request was sent. */
  readonly at: number;
  readonly status: number;
  /** Node that answered (the demo node's own header), or null when the router answered. */
  readonly node: string | null;
  readonly body: Record<string, unknown>;
}

export interface Session {
  readonly node: string;
  readonly session: string;
  readonly cookie: string;
  readonly answers: Answer[];
}

/** Starts a session on `node` through the router, the way a browser would (cookie from the node). */
export async function startSession(routerUrl: string, node: string): Promise<Session> {
  const res = await fetch(`${routerUrl}/cobrowse/session`, {
    method: 'POST',
    headers: { cookie: `gcbSessionServer=.${node}` },
  });
  const body = (await res.json()) as { node: string; session: string };
  if (body.node !== node) throw new Error(`session for ${node} started on ${body.node}`);
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  return { node, session: body.session, cookie, answers: [] };
}

export async function ask(routerUrl: string, session: Session): Promise<Answer> {
  const at = Date.now();
  const res = await fetch(`${routerUrl}/cobrowse/session/${session.session}`, {
    headers: { cookie: session.cookie },
  });
  const answer = { at, status: res.status, node: res.headers.get('x-demo-node'), body: await res.json() };
  session.answers.push(answer);
  return answer;
}

/** Every session asks for its state every `intervalMs` until stopped. */
export function drive(
  routerUrl: string,
  sessions: readonly Session[],
  intervalMs: number,
): { stop(): Promise<void> } {
  let running = true;
  const loops = sessions.map(async (session) => {
    while (running) {
      await ask(routerUrl, session);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Answers that are not the session's own node serving it. */
export function errorsOf(session: Session): Answer[] {
  return session.answers.filter((answer) => answer.status !== 200 || answer.node !== session.node);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
