// A set of strings kept as 53-bit digests in one sorted Float64Array: 8 bytes a key instead of a
// string and a hash-table slot each (~100 bytes). The reconcile plan step checks every published
// row against the table's listing keys, a million of them at 1M listings; a Set<string> of those
// was the plan step's largest allocation.
//
// Membership is by digest, so a key not in the set answers "present" with probability about
// size / 2^53 (1e-10 at a million keys). The digest is seeded, and each set takes a new seed unless
// told otherwise, so a key that collides in one pass does not collide in the next: the caller must
// only use a false "present" for something that is harmless to miss once (an orphan published row
// the next pass finds).

/** FNV-1a (32 bits) and a second multiply-xor hash, both seeded, joined into 53 bits. */
export function keyDigest(key: string, seed = 0): number {
  let a = (0x811c9dc5 ^ seed) >>> 0;
  let b = (0x9747b28c + Math.imul(seed, 0x27d4eb2d)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // 32 bits of a and the top 21 bits of b: an integer below 2^53, exact in a double.
  return (a >>> 0) * 2 ** 21 + (b >>> 11);
}

export class KeyDigestSet {
  private digests = new Float64Array(1024);
  private count = 0;
  private sorted = true;

  /** `seed`: a random 32-bit value by default (see the top of the file). */
  constructor(private readonly seed: number = (Math.random() * 2 ** 32) >>> 0) {}

  add(key: string): void {
    if (this.count === this.digests.length) {
      const grown = new Float64Array(this.digests.length * 2);
      grown.set(this.digests);
      this.digests = grown;
    }
    this.digests[this.count++] = keyDigest(key, this.seed);
    this.sorted = false;
  }

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    if (!this.sorted) {
      this.digests = this.digests.slice(0, this.count).sort();
      this.sorted = true;
    }
    const d = keyDigest(key, this.seed);
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.digests[mid]! < d) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && this.digests[lo] === d;
  }
}
