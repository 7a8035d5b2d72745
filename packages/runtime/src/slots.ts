/** Gives back a slot; a second call does nothing, so every exit path may call it. */
export type ReleaseSlot = () => void;

/**
 * A bounded count of things in progress (uploads in a process, connections to a peer, bytes of memory
 * they may hold): at most `limit` units at once, each taker holding one unit or the units it weighs.
 * Taking never waits: a caller that finds too few units left answers at once (a 503 or a 429) instead
 * of queueing behind work that may take minutes.
 */
export class Slots {
  readonly limit: number;
  #taken = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Units held now. */
  get taken(): number {
    return this.#taken;
  }

  /** Takes `units` and returns their release, or undefined when fewer are left. */
  tryTake(units = 1): ReleaseSlot | undefined {
    if (this.#taken + units > this.limit) return undefined;
    this.#taken += units;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#taken -= units;
    };
  }
}

/** `Slots` per key (an account, a client): each key holds at most `limitPerKey`; a key holding none is forgotten. */
export class KeyedSlots {
  readonly limitPerKey: number;
  readonly #byKey = new Map<string, Slots>();

  constructor(limitPerKey: number) {
    this.limitPerKey = limitPerKey;
  }

  /** Keys holding at least one slot. */
  get keys(): number {
    return this.#byKey.size;
  }

  /** Takes a slot for `key` and returns its release, or undefined when the key holds all it may. */
  tryTake(key: string): ReleaseSlot | undefined {
    const slots = this.#byKey.get(key) ?? new Slots(this.limitPerKey);
    const release = slots.tryTake();
    if (release === undefined) return undefined;
    this.#byKey.set(key, slots);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (slots.taken === 0) this.#byKey.delete(key);
    };
  }
}
