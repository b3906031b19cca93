/** The EMA of a growing series, extended in O(1) per new point and recomputed only when the weight or history changes. */
import { Ema } from '../lib/smoothing';

export class SmoothedSeries {
  private values: number[] = [];
  private ema: Ema | undefined;
  private source: readonly number[] | undefined;
  private revision = -1;

  reset(): void {
    this.values = [];
    this.ema = undefined;
    this.source = undefined;
    this.revision = -1;
  }

  /** @param revision changes whenever the source's history was cut (see RunModel.revision). */
  update(source: readonly number[], weight: number, revision: number): readonly number[] {
    // A different array, another weight, or a cut history means starting over.
    if (source !== this.source || !this.ema || this.ema.weight !== weight || revision !== this.revision || source.length < this.values.length) {
      this.ema = new Ema(weight);
      this.values = [];
      this.source = source;
      this.revision = revision;
    }
    for (let i = this.values.length; i < source.length; i++) this.values.push(this.ema.push(source[i]));
    return this.values;
  }
}
