import { type AddressKey, formatAddress } from '../table/address.js';
import { SIGNAL_CAPACITY } from './engineAbi.js';
import { HyperLogLog } from './hyperLogLog.js';
import { TopK, type TopKState } from './topK.js';

export const SPREAD_PRECISION = 8; // 256-register sketches per tracked key: ±6.5 %
/**
 * Spread sketches are attached to a key from its SPREAD_AFTER-th entry on: a table of millions of
 * one-off keys would otherwise allocate a sketch per entry. A scanner or a flooded service passes
 * this at once; the sources of its first few entries are missed by the sketch, not by the exact
 * per-source list (ServiceTally.sources).
 */
export const SPREAD_AFTER = 4;

/**
 * A service as a key: "proto address port" (`17 127.0.0.1 53`, IPv6 as RFC 5952 text). Built only
 * for entries of a class, never for the whole table; the WebAssembly engine writes the same text
 * from its words (tableEngine.ts keyText).
 */
export function serviceKey(protoNum: number, address: AddressKey, port: number): string {
  return `${protoNum} ${formatAddress(address)} ${port}`;
}

export interface ServiceTallyState {
  services: TopKState<string>;
  /** Distinct-source registers of the services that have a sketch. */
  sketches: [string, Uint8Array][];
  sources: TopKState<string>;
}

/**
 * One class's entries (UNREPLIED, TIME_WAIT) by service, and by (service, source): the subset a
 * finding names, with its own sources, not the table's. Both lists are Space-Saving, exact while
 * their keys fit.
 */
export class ServiceTally {
  readonly services = new TopK<string>(SIGNAL_CAPACITY);
  readonly sketches = new Map<string, HyperLogLog>();
  /** Keyed "service source" (a serviceKey, a space, the source's text). */
  readonly sources = new TopK<string>(SIGNAL_CAPACITY);

  constructor() {
    this.services.onEvict = (key) => this.sketches.delete(key);
  }

  add(service: string, source: AddressKey, sourceHash: number): void {
    this.services.add(service);
    this.sources.add(`${service} ${formatAddress(source)}`);
    let sketch = this.sketches.get(service);
    if (!sketch) {
      if (this.services.guaranteedCountOf(service) < SPREAD_AFTER) return;
      sketch = new HyperLogLog(SPREAD_PRECISION);
      this.sketches.set(service, sketch);
    }
    sketch.addHash(sourceHash);
  }

  toState(): ServiceTallyState {
    return {
      services: this.services.toState(),
      sketches: [...this.sketches].map(([key, sketch]) => [key, sketch.registers]),
      sources: this.sources.toState(),
    };
  }

  merge(other: ServiceTallyState): void {
    for (const [key, registers] of other.sketches) {
      const mine = this.sketches.get(key);
      if (mine) mine.merge(new HyperLogLog(SPREAD_PRECISION, registers));
      else this.sketches.set(key, new HyperLogLog(SPREAD_PRECISION, Uint8Array.from(registers)));
    }
    this.services.mergeState(other.services);
    this.sources.mergeState(other.sources);
  }
}
