/**
 * How a Jetty 9 node reads a request path (its HttpURI: `decodePath`, then `canonicalPath`): `;`
 * parameters are dropped from each segment, the rest is percent-decoded (Jetty's own `%uHHHH`
 * escapes too), and dot segments are resolved in the decoded text, where a decoded `%2f` separates
 * segments like any `/`. The tests judge the router's path policy by this, not by the router's own
 * parser: it is what the node behind the router does.
 */
export function jetty9Resolve(raw: string): string {
  const withoutParameters = raw
    .split('/')
    .map((segment) => segment.split(';')[0])
    .join('/');
  const decoded = withoutParameters
    .replace(/%u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/(%[0-9a-fA-F]{2})+/g, (escapes) => {
      try {
        return decodeURIComponent(escapes);
      } catch {
        return escapes;
      }
    });
  const resolved: string[] = [];
  for (const segment of decoded.split('/').slice(1)) {
    if (segment === '..') resolved.pop();
    else if (segment !== '.') resolved.push(segment);
  }
  return `/${resolved.join('/')}`;
}
