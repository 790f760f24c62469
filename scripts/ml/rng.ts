/**
 * Bit-exact ports of the two pseudo-random generators the Fraud Detection Handbook's simulator
 * uses, so that our simulator draws the same numbers from the same seeds:
 *
 * - `NumpyRandomState`: numpy's legacy `np.random.RandomState` (`np.random.seed`, `uniform`,
 *   `normal`, `poisson`, `permutation`, `choice(..., replace=False)` as pandas' `sample` calls it).
 * - `PythonRandom`: CPython's `random` module (`seed(int)`, `choice`, `sample`).
 *
 * Both sit on the same MT19937 core. Only the algorithms the handbook calls are ported.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The Mersenne Twister MT19937 (Matsumoto & Nishimura), as in numpy and CPython. */
export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** `init_genrand`: numpy's `np.random.seed(int)`. */
  seed(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const s = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, s) + i) >>> 0;
    }
    this.mti = N;
  }

  /** `init_by_array`: CPython's `random.seed(int)` (the int's 32-bit words, least significant first). */
  seedByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.seed(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const s = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(s, 1664525)) + (key[j] >>> 0) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const s = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(s, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.mti = N;
  }

  /** `genrand_int32`: the next 32-bit output. */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      if (this.mti === N + 1) this.seed(5489);
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `genrand_res53`: a double in [0, 1) with 53 random bits (numpy `random_sample`, Python `random()`). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** numpy's legacy `RandomState` (the global `np.random.*` functions the handbook calls). */
export class NumpyRandomState {
  private readonly mt = new MT19937();
  private hasGauss = false;
  private gauss = 0;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `np.random.seed(seed)` for an integer seed in [0, 2^32). */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    }
    this.mt.seed(seed);
    this.hasGauss = false;
    this.gauss = 0;
  }

  /** `random_sample()`: U[0, 1). */
  randomSample(): number {
    return this.mt.nextDouble();
  }

  /** `uniform(low, high)` = `low + (high - low) * random_sample()`. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.mt.nextDouble();
  }

  /** `legacy_gauss`: Marsaglia's polar method, the second value cached for the next call. */
  standardNormal(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.gauss;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.mt.nextDouble() - 1;
      x2 = 2 * this.mt.nextDouble() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** `normal(loc, scale)` = `loc + scale * gauss`. */
  normal(loc: number, scale: number): number {
    return loc + scale * this.standardNormal();
  }

  /** `poisson(lam)` for `lam < 10` (the multiplication method numpy uses below 10). */
  poisson(lam: number): number {
    if (lam >= 10) throw new RangeError("poisson: only lam < 10 is ported (numpy's PTRS is not)");
    if (lam === 0) return 0;
    const enlam = Math.exp(-lam);
    let x = 0;
    let prod = 1;
    for (;;) {
      prod *= this.mt.nextDouble();
      if (prod > enlam) x += 1;
      else return x;
    }
  }

  /** `random_interval(max)`: uniform integer in [0, max] by masked rejection (max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.mt.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /** `permutation(n)`: `arange(n)` shuffled by numpy's Fisher-Yates (`_shuffle_raw`). */
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /**
   * `choice(n, size, replace=False)` = `permutation(n)[:size]`; this is what pandas'
   * `Series.sample(n=size, random_state=seed)` draws with `RandomState(seed)`.
   */
  choiceWithoutReplacement(n: number, size: number): number[] {
    if (size > n) throw new RangeError("cannot take a larger sample than the population");
    return Array.from(this.permutation(n).subarray(0, size));
  }
}

/** Splits a non-negative integer into 32-bit words, least significant first (CPython's seed key). */
function seedKey(seed: number): number[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  let n = Math.abs(seed);
  if (n === 0) return [0];
  const key: number[] = [];
  while (n > 0) {
    key.push(n % 0x100000000);
    n = Math.floor(n / 0x100000000);
  }
  return key;
}

/** CPython's `random.Random` for the calls the handbook makes. */
export class PythonRandom {
  private readonly mt = new MT19937();

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `random.seed(int)`. */
  seed(seed: number): void {
    this.mt.seedByArray(seedKey(seed));
  }

  /** `random.random()`. */
  random(): number {
    return this.mt.nextDouble();
  }

  /** `getrandbits(k)` for 1 <= k <= 32. */
  getrandbits(k: number): number {
    if (k < 1 || k > 32) throw new RangeError("getrandbits: 1 <= k <= 32 only");
    return this.mt.nextUint32() >>> (32 - k);
  }

  /** `_randbelow_with_getrandbits(n)`: uniform integer in [0, n), 1 <= n < 2^32. */
  randbelow(n: number): number {
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.choice(seq)`. */
  choice<T>(seq: readonly T[] | ArrayLike<T>): T {
    if (seq.length === 0) throw new RangeError("cannot choose from an empty sequence");
    return seq[this.randbelow(seq.length)];
  }

  /** `random.sample(population, k)`, in CPython's order of draws and results. */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (k < 0 || k > n) throw new RangeError("sample larger than population or is negative");
    const result: T[] = new Array<T>(k);
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result[i] = population[j];
      }
    }
    return result;
  }
}
