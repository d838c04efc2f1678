/** What requests without `cf-connecting-ip` count as: only local tools (wrangler dev, tests) send none. */
export const LOCAL_CLIENT = 'local';

/**
 * The address a per-client budget is charged to: Cloudflare's `cf-connecting-ip` (set by the
 * edge, not by the client), with IPv6 reduced to its /64, since one subscriber usually holds a
 * whole /64 and could otherwise rotate through 2^64 budgets.
 */
export function clientAddress(headers: Headers): string {
  const ip = headers.get('cf-connecting-ip')?.trim();
  if (!ip) return LOCAL_CLIENT;
  // IPv4, and IPv4-mapped IPv6 (`::ffff:1.2.3.4`), are one address each.
  return ip.includes(':') && !ip.includes('.') ? ipv6Prefix64(ip) : ip;
}

function ipv6Prefix64(ip: string): string {
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  // `a:b::` or `::1`: the elided zero groups sit between the two halves.
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - tail.split(':').length)).fill('0')];
  const first4 = [...groups, '0', '0', '0', '0'].slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ''));
  return `${first4.join(':')}::/64`;
}
