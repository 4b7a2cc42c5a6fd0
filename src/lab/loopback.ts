/**
 * The n-th usable address of 127.1.0.0/16 onwards, skipping .0 and .255 host bytes so every address
 * is an ordinary unicast loopback address. 127.0.0.0/8 is loopback in full, so a lab has ~16M
 * distinct sources or destinations without touching any other network.
 */
export function loopbackAddress(index: number): string {
  const perThirdOctet = 254;
  const low = (index % perThirdOctet) + 1;
  const rest = Math.floor(index / perThirdOctet);
  const third = rest % 256;
  const second = 1 + Math.floor(rest / 256);
  if (second > 255) throw new RangeError(`loopback index ${index} beyond 127.255.255.254`);
  return `127.${second}.${third}.${low}`;
}
