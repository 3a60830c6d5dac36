import net from 'node:net';

/**
 * Which network addresses an image URL may reach. Private, loopback, link-local (which holds the
 * cloud metadata services at 169.254.169.254 and fd00:ec2::254), carrier-grade NAT, multicast and
 * reserved ranges are refused, so a listing cannot make grokcat fetch from inside its own network
 * (OWASP SSRF Prevention Cheat Sheet). `allow` holds hostnames and CIDR ranges exempted by the
 * operator (an internal image CDN, a test server).
 */
const BLOCKED_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const BLOCKED_V6 = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const;

const blocked = new net.BlockList();
for (const [address, prefix] of BLOCKED_V4) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_V6) blocked.addSubnet(address, prefix, 'ipv6');

export interface AddressPolicy {
  /** Null when the address may be reached, else why not. */
  refuse(host: string, address: string): string | null;
}

export function createAddressPolicy(allow: string[]): AddressPolicy {
  const hosts = new Set(
    allow.filter((a) => !a.includes('/') && net.isIP(a) === 0).map((a) => a.toLowerCase()),
  );
  const allowed = new net.BlockList();
  for (const entry of allow) {
    const [address, prefix] = entry.split('/');
    const family = net.isIP(address ?? '');
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    allowed.addSubnet(address as string, prefix ? Number(prefix) : family === 4 ? 32 : 128, type);
  }
  return {
    refuse(host, address) {
      if (hosts.has(host.toLowerCase())) return null;
      const family = net.isIP(address);
      if (family === 0) return `${address} is not an IP address`;
      // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address.
      const mapped = family === 6 ? mappedIpv4(address) : undefined;
      const [ip, type] = mapped
        ? [mapped, 'ipv4' as const]
        : [address, family === 4 ? ('ipv4' as const) : ('ipv6' as const)];
      if (allowed.check(ip, type)) return null;
      return blocked.check(ip, type)
        ? `${host} resolves to ${address}, a private, loopback, link-local or reserved address`
        : null;
    },
  };
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:10.0.0.1 or ::ffff:a00:1). */
function mappedIpv4(address: string): string | undefined {
  const rest = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(address)?.[1];
  if (!rest) return undefined;
  if (net.isIPv4(rest)) return rest;
  const groups = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!groups) return undefined;
  const high = Number.parseInt(groups[1] as string, 16);
  const low = Number.parseInt(groups[2] as string, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
