/**
 * Which of a gradient map's two quantities the gradient card shows, and the words for it. Pure.
 *
 * - 'last':  ||dℓ_T/dh_t||, the gradient of the window's last prediction's loss with respect to each
 *            earlier hidden state: how far back one prediction's error signal reaches. This is the
 *            vanishing-gradient picture.
 * - 'total': ||dL/dh_t||, the gradient of the whole window's loss (mean of all T predictions), what
 *            the weight update uses. Each h_t collects the error of every later prediction, so it
 *            stays roughly flat even when the last prediction's signal vanishes.
 * For the fixed-window model the same two are taken with respect to each context position's input.
 */
import type { GradMap } from '../../protocol/types';

export type GradQuantity = 'last' | 'total';

/**
 * The norms of one quantity in a map, [layer][t], or undefined when the map does not carry it.
 * A map without `totalGradNorms` was written by an engine that recorded only the whole window's
 * gradient, and recorded it in `hiddenGradNorms`: read that way, such a map has 'total' and no 'last'.
 */
export function mapNorms(map: GradMap, quantity: GradQuantity): readonly number[][] | undefined {
  if (map.totalGradNorms) return quantity === 'last' ? map.hiddenGradNorms : map.totalGradNorms;
  return quantity === 'total' ? map.hiddenGradNorms : undefined;
}

export interface QuantityChoice {
  /** What to draw: the wanted quantity when some map has it, else the other one. */
  readonly shown: GradQuantity;
  /** Whether any map carries each quantity (both, while there is no map yet). */
  readonly available: Readonly<Record<GradQuantity, boolean>>;
}

/** The quantity to show for a run's maps, given the one the user prefers. */
export function chooseQuantity(maps: readonly GradMap[], wanted: GradQuantity): QuantityChoice {
  if (!maps.length) return { shown: wanted, available: { last: true, total: true } };
  const available = { last: maps.some((m) => mapNorms(m, 'last')), total: maps.some((m) => mapNorms(m, 'total')) };
  return { shown: available[wanted] ? wanted : wanted === 'last' ? 'total' : 'last', available };
}

/** The newest map that carries `quantity` (undefined when none does). */
export function newestWith(maps: readonly GradMap[], quantity: GradQuantity): GradMap | undefined {
  for (let i = maps.length - 1; i >= 0; i--) if (mapNorms(maps[i], quantity)) return maps[i];
  return undefined;
}

/** The oldest map that carries `quantity` (undefined when none does). */
export function oldestWith(maps: readonly GradMap[], quantity: GradQuantity): GradMap | undefined {
  return maps.find((m) => mapNorms(m, quantity) !== undefined);
}

// ---------------------------------------------------------------- words

export interface QuantityText {
  /** The norm as a formula, e.g. "‖∂ℓ_T/∂hₜ‖". */
  readonly symbol: string;
  /** What it is in words, e.g. "gradient of the last prediction's loss". */
  readonly name: string;
  /** One or two sentences under the card title: what the map shows and what to look for. */
  readonly caption: string;
  /** Label of the toggle's segment. */
  readonly option: string;
  /** Tooltip of the toggle's segment. */
  readonly optionTitle: string;
  /** Tooltip of the segment when no map of the run carries the quantity. */
  readonly unavailableTitle: string;
}

/** Words for a quantity; `windowCell` is the fixed-window model (context inputs xₖ instead of hₜ). */
export function quantityText(quantity: GradQuantity, windowCell: boolean): QuantityText {
  if (quantity === 'last') {
    const symbol = windowCell ? '‖∂ℓ_T/∂xₖ‖' : '‖∂ℓ_T/∂hₜ‖';
    return {
      symbol,
      name: "gradient of the last prediction's loss",
      caption: windowCell
        ? `${symbol}: gradient of the last prediction's loss with respect to each context position's input, ` +
          'how much each of the τ inputs it sees moves it. A fixed window has no path to anything older.'
        : `${symbol}: gradient of the last prediction's loss with respect to each hidden state, ` +
          "how far back the error signal of the last prediction reaches; a vanilla RNN's fades geometrically (vanishing gradients).",
      option: 'Last prediction',
      optionTitle: `${symbol}: gradient of the last prediction's loss ℓ_T with respect to each ${windowCell ? 'context input' : 'hidden state'}`,
      unavailableTitle: "This run's gradient maps were recorded before Sequence Lab kept the last prediction's gradient: only the whole window's is there",
    };
  }
  const symbol = windowCell ? '‖∂L/∂xₖ‖' : '‖∂L/∂hₜ‖';
  return {
    symbol,
    name: "gradient of the whole window's loss",
    caption: windowCell
      ? `${symbol}: gradient of the whole window's loss (the mean over all T predictions) with respect to each context position's input, ` + 'what the weight update uses.'
      : `${symbol}: gradient of the whole window's loss (the mean over all T predictions), what the weight update uses. ` +
        "Each hₜ collects the error of every later prediction, so this map stays roughly flat even when one prediction's signal vanishes.",
    option: 'Whole window',
    optionTitle: `${symbol}: gradient of the whole window's loss L (mean of all T predictions), what the weight update uses`,
    unavailableTitle: "This run's gradient maps carry no whole-window gradient",
  };
}
