/**
 * The vocabulary: token <-> id. Id 0 is `<unk>`, which stands for every token dropped by `minFreq`
 * or `maxSize` and for tokens never seen in training (when fine-tuning on another text).
 * The rest are ordered by frequency (most frequent first), ties by code point order, so the same
 * text always gives the same ids.
 */
export const UNK = '<unk>';

export interface VocabularyOptions {
  /** Tokens seen fewer times become `<unk>`. */
  minFreq?: number;
  /** At most this many entries, `<unk>` included: the rarest tokens become `<unk>`. */
  maxSize?: number;
}

export interface VocabularyJSON {
  tokens: string[];
}

export class Vocabulary {
  private readonly index: Map<string, number>;

  private constructor(readonly tokens: readonly string[]) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  static build(tokens: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    return Vocabulary.fromCounts(counts, options);
  }

  /** The vocabulary of tokens counted `counts` times (tokens counted 0 times are left out). */
  static fromCounts(counts: Iterable<readonly [string, number]>, options: VocabularyOptions = {}): Vocabulary {
    const minFreq = Math.max(1, options.minFreq ?? 1);
    const maxSize = options.maxSize ?? Infinity;
    const kept = [...counts]
      .filter(([t, n]) => n >= minFreq && t !== UNK)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, Math.max(0, maxSize - 1))
      .map(([t]) => t);
    return new Vocabulary([UNK, ...kept]);
  }

  static fromJSON(json: VocabularyJSON): Vocabulary {
    if (!Array.isArray(json.tokens) || json.tokens[0] !== UNK || new Set(json.tokens).size !== json.tokens.length) {
      throw new Error('Invalid vocabulary: it must start with <unk> and list each token once.');
    }
    return new Vocabulary(json.tokens);
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens] };
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number {
    return this.index.get(token) ?? 0;
  }

  encode(tokens: readonly string[]): Int32Array {
    const ids = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) ids[i] = this.index.get(tokens[i]) ?? 0;
    return ids;
  }

  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) out.push(this.tokens[ids[i]] ?? UNK);
    return out;
  }
}
