/** The path policy, judged the way the node behind the router reads a path (test/models). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSlashes, pathProblem } from '../../src/worker/path-policy';
import { isWithin } from '../../src/worker/routing';
import { jetty9Resolve } from '../models/jetty9-path';

const PREFIX = '/cobrowse';

/** What the router forwards for a request target, or why it does not. */
function routerVerdict(target: string): { forwarded: string } | { refused: string } {
  // workerd hands the Worker a WHATWG-parsed URL: `\` is `/`, plain and %2e dot segments resolved.
  const path = mergeSlashes(new URL(`http://edge${target}`).pathname);
  if (!isWithin(path, PREFIX)) return { refused: 'outside the prefix (404)' };
  const problem = pathProblem(path);
  return problem ? { refused: problem } : { forwarded: path };
}

describe('pathProblem', () => {
  it.each([
    '/cobrowse/..%2finternal',
    '/cobrowse/..%2Finternal',
    '/cobrowse/%2e%2e%2finternal',
    '/cobrowse/%2e%2e%2f%2e%2e%2fetc/passwd',
    '/cobrowse/..%5cinternal',
    '/cobrowse/..;/internal',
    '/cobrowse/..;x=1/internal',
    '/cobrowse/%2e%2e;/internal',
    '/cobrowse/.%2e;/internal',
    '/cobrowse/..%3b/internal',
    '/cobrowse/.;/x',
    '/cobrowse/%252e%252e/internal',
    '/cobrowse/%25u002e/x',
    '/cobrowse/%u002e%u002e/internal',
    '/cobrowse/%u002e%u002e%u002finternal',
    '/cobrowse/%/x',
    '/cobrowse/%2/x',
    '/cobrowse/a%00b',
    '/cobrowse/a%0ab',
    '/cobrowse/a%7fb',
  ])('refuses %s', (path) => {
    expect(pathProblem(mergeSlashes(path))).toEqual(expect.any(String));
  });

  it.each([
    '/cobrowse',
    '/cobrowse/',
    '/cobrowse/cometd/connect',
    '/cobrowse/js/gcb.min.js?v=9.0.0',
    '/cobrowse/a.b/c..d/...',
    '/cobrowse/x;jsessionid=abc',
    '/cobrowse/%C3%A4',
    '/cobrowse/name%20with%20space',
  ])('lets %s pass', (path) => {
    expect(pathProblem(mergeSlashes(path))).toBeUndefined();
  });

  it('merges repeated slashes, so router and node see the same segments', () => {
    expect(mergeSlashes('/cobrowse//cometd///connect')).toBe('/cobrowse/cometd/connect');
    expect(mergeSlashes('/cobrowse/cometd')).toBe('/cobrowse/cometd');
  });
});

describe('for any request target', () => {
  const token = fc.constantFrom(
    '/',
    '//',
    'cobrowse',
    'internal',
    'a',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2f',
    '%2F',
    '%5c',
    '%5C',
    '\\',
    ';',
    ';x',
    '%3b',
    '%25',
    '2e',
    '2f',
    '%u002e',
    '%u002f',
    '%00',
    '%0a',
    '%',
    'u',
    '%C3%A4',
    '?',
    '#',
  );
  const target = fc.array(token, { maxLength: 12 }).map((tokens) => `/cobrowse/${tokens.join('')}`);

  it('a forwarded path resolves, the way Jetty 9 reads it, at or below the prefix', () => {
    fc.assert(
      fc.property(target, (raw) => {
        const verdict = routerVerdict(raw);
        if ('forwarded' in verdict)
          expect(
            isWithin(jetty9Resolve(verdict.forwarded), PREFIX) ||
              jetty9Resolve(verdict.forwarded) === `${PREFIX}/`,
          ).toBe(true);
      }),
      { numRuns: 20_000, seed: 11 },
    );
  });

  it('the model of Jetty is not vacuous: raw paths it would resolve outside the prefix exist, and are refused', () => {
    const escaping = ['/cobrowse/..%2finternal', '/cobrowse/..;/internal', '/cobrowse/%u002e%u002e/internal'];
    for (const raw of escaping) {
      expect(isWithin(jetty9Resolve(raw), PREFIX)).toBe(false);
      expect(routerVerdict(raw)).toMatchObject({ refused: expect.any(String) });
    }
  });
});
