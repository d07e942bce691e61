import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config';
import { problemsOfChange } from '../../src/config/roster-changes';

const NODES = [
  { id: 'CB_Server_1', url: 'http://cb1.eu.example.com:8700' },
  { id: 'CB_Server_2', url: 'http://cb2.example.org:8700' },
  { id: 'CB_Server_3', url: 'http://10.0.0.7:8700' },
];

/** The allow-list parsed from these vars, or the config problems. */
function nodeHostsOf(vars: Record<string, unknown>): readonly string[] {
  const result = parseConfig({ NODES, ALLOWED_ORIGINS: ['https://www.example.com'], ...vars });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config.nodeHosts;
}

/** The problems of adding a node at `url` (weight 0, as the attacker did). */
function addProblems(url: string, vars: Record<string, unknown> = {}): string[] {
  return problemsOfChange('INTERNAL', { url, weight: 0 }, NODES, {}, {}, nodeHostsOf(vars));
}

describe('NODE_HOSTS: which hosts a node added at runtime may have', () => {
  it('defaults to the file nodes’ hosts, and the parent domain of a name of four labels or more', () => {
    expect(nodeHostsOf({})).toEqual([
      'cb1.eu.example.com',
      'cb2.example.org',
      '10.0.0.7',
      '*.eu.example.com',
    ]);
    expect(addProblems('http://cb4.eu.example.com:8700')).toEqual([]);
    expect(addProblems('https://cb2.example.org')).toEqual([]);
    // A name of three labels allows itself only: its parent is a whole registrable domain.
    expect(addProblems('http://intranet.example.org:8700')).toEqual([
      expect.stringMatching(/^NODES\[3\]\.url: host intranet\.example\.org is not in NODE_HOSTS/),
    ]);
    // The domain, not the name it is below; an IP node allows that address only.
    expect(addProblems('http://eu.example.com')).toHaveLength(1);
    expect(addProblems('http://10.0.0.8:8700')).toHaveLength(1);
  });

  it('judges the host as the URL parser and the runtime read it', () => {
    const vars = { NODE_HOSTS: ['*.cb.example.com', '10.1.0.0/16', 'ok.example.com'] };
    const refused: string[] = [
      'http://127.0.0.1:8080/',
      'http://0x7f.1/', // 127.0.0.1
      'http://2130706433/', // 127.0.0.1
      'http://[::ffff:127.0.0.1]/', // IPv4-mapped 127.0.0.1
      'http://[::1]/',
      'http://169.254.169.254/',
      'http://10.2.0.1/', // outside 10.1.0.0/16
      'http://[::ffff:10.2.0.1]/',
      'http://ok.example.com@evil.example.net/', // userinfo: the host is evil.example.net
      'http://ok.example.com:8700@evil:80/',
      'http://evil.example.net:8700/', // a port changes nothing
      'http://cb.example.com/', // *.cb.example.com is below it, not it
      'http://xcb.example.com/',
      'http://cb.example.com.evil.example.net/',
      'http://localhost/',
      'http://LOCALHOST./',
    ];
    for (const url of refused) expect(addProblems(url, vars), url).not.toEqual([]);
    const allowed: string[] = [
      'http://cb7.cb.example.com:8700',
      'http://CB7.CB.Example.COM:8700', // upper case: the same name
      'http://cb7.cb.example.com.:8700', // trailing dot: the same DNS name
      'http://ok.example.com:1',
      'http://OK.EXAMPLE.COM.',
      'http://10.1.200.3:8700',
      'http://0x0a.1.0x10.3/', // 10.1.16.3
      'http://[::ffff:10.1.2.3]:8700', // IPv4-mapped 10.1.2.3
      'http://cb1.eu.example.com:8700', // a file node's host is always allowed
    ];
    for (const url of allowed) expect(addProblems(url, vars), url).toEqual([]);
    // Credentials are refused as the roster check refuses them, even on an allowed host.
    expect(addProblems('http://user@ok.example.com/', vars)).toEqual([
      'NODES[3].url: must be scheme, host and port only (found credentials)',
    ]);
  });

  it('takes IPv6 CIDRs and hosts', () => {
    const vars = { NODE_HOSTS: ['fd00::/8', '[2001:db8::5]', '[2001:db8:1::]/48'] };
    expect(addProblems('http://[fd12:3456::1]:8700', vars)).toEqual([]);
    expect(addProblems('http://[2001:db8::5]', vars)).toEqual([]);
    expect(addProblems('http://[2001:db8:1:ffff::9]', vars)).toEqual([]);
    expect(addProblems('http://[2001:db8::6]', vars)).toHaveLength(1);
    expect(addProblems('http://[fe80::1]', vars)).toHaveLength(1);
  });

  it('names each malformed entry with its field path', () => {
    const result = parseConfig({
      NODES,
      NODE_HOSTS: ['ok.example.com', '*', '*.10.0.0.1', '10.1.2.0/8', '10.0.0.0/33', 'a b', 'x/y', 'h:80', 7],
    });
    expect(result.ok ? [] : result.problems).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((index) =>
        expect.stringMatching(new RegExp(`^NODE_HOSTS\\[${index}\\]: must be a host`)),
      ),
    );
    expect(parseConfig({ NODES, NODE_HOSTS: '"cb.example.com"' })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^NODE_HOSTS: must be an array/)],
    });
    // An empty list: only the file's own hosts.
    expect(nodeHostsOf({ NODE_HOSTS: '[]' })).toEqual(['cb1.eu.example.com', 'cb2.example.org', '10.0.0.7']);
  });

  it('caps the roster at 64 nodes, naming the cap; a roster may still shrink', () => {
    const many = Array.from({ length: 64 }, (_, index) => ({
      id: `n${index}`,
      url: 'http://cb1.example.com',
    }));
    const hosts = ['cb1.example.com'];
    expect(
      problemsOfChange('n64', { url: 'http://cb1.example.com', weight: 0 }, many, {}, {}, hosts),
    ).toEqual(["NODES: at most 64 nodes, the roster's cap (this roster has 65)"]);
    expect(problemsOfChange('n3', { url: 'http://cb1.example.com', weight: 2 }, many, {}, {}, hosts)).toEqual(
      [],
    );
    const over = [...many, { id: 'n64', url: 'http://cb1.example.com' }];
    expect(problemsOfChange('n0', null, over, {}, {}, hosts)).toEqual([]);
    expect(parseConfig({ NODES: over })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^NODES: at most 64 nodes/)],
    });
  });
});
