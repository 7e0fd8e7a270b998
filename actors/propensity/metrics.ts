/**
 * Ranking quality of propensity scores against outcomes (1 = responded): AUC, the area under
 * the cumulative lift (gains) curve as Moro, Cortez and Rita (2014) report it (ALIFT), and the
 * share of responders found in the better-scored fraction. Ties are ranked by their average.
 */

/** Area under the ROC curve, by the rank-sum (Mann-Whitney) formula with tied scores averaged. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The cumulative gains curve: contacts taken best-scored first, x = share of contacts made,
 * y = share of responders reached. Tied scores are taken together (their responders spread
 * evenly), so the curve does not depend on the order of ties.
 */
function gainsCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Array<[x: number, y: number]> {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  let total = 0;
  for (let i = 0; i < n; i++) total += labels[i] === 1 ? 1 : 0;
  const points: Array<[number, number]> = [[0, 0]];
  let taken = 0;
  let found = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let k = i; k <= j; k++) found += labels[order[k]!] === 1 ? 1 : 0;
    taken = j + 1;
    points.push([taken / n, total === 0 ? 0 : found / total]);
    i = j + 1;
  }
  return points;
}

/** Area under the cumulative lift (gains) curve, 0..1: 0.5 is random ranking, 1 is perfect only in the limit. */
export function alift(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const pts = gainsCurve(scores, labels);
  let area = 0;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}

/** The share of responders among the best-scored `fraction` of contacts (read off the gains curve). */
export function responderShareAt(scores: ArrayLike<number>, labels: ArrayLike<number>, fraction: number): number {
  const pts = gainsCurve(scores, labels);
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    if (x1 >= fraction) return x1 === x0 ? y1 : y0 + ((fraction - x0) / (x1 - x0)) * (y1 - y0);
  }
  return 1;
}

/** Bins of a running AUC: scores on the logit scale from -8 to 8. */
export const aucBins = 64;

/** The bin of a probability for `binnedAuc`. */
export function aucBin(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  const logit = Math.log(q / (1 - q));
  return Math.min(aucBins - 1, Math.max(0, Math.floor(((logit + 8) / 16) * aucBins)));
}

/**
 * The AUC of scores kept as histograms (positives and negatives per score bin): a pair in
 * the same bin counts a half. Bounded memory, so a model's AUC can run for ever.
 */
export function binnedAuc(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  let p = 0;
  let n = 0;
  let wins = 0;
  for (let b = 0; b < pos.length; b++) {
    const pb = pos[b] ?? 0;
    const nb = neg[b] ?? 0;
    wins += pb * (n + nb / 2);
    p += pb;
    n += nb;
  }
  return p === 0 || n === 0 ? Number.NaN : wins / (p * n);
}

/**
 * The Wilson score interval of a proportion (95 % by default). Successes are taken within
 * [0, n] (more successes than trials, as counts from different days can give, would take the
 * square root of a negative: NaN).
 */
export function wilson(successes: number, n: number, z = 1.959964): [low: number, high: number] {
  if (!(n > 0)) return [0, 1];
  const p = Math.min(n, Math.max(0, successes)) / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * A confidence interval for the difference of two proportions, a - b (Newcombe's hybrid
 * score method, 1998): sound for small samples and rates near zero, where the textbook
 * Wald interval is not.
 */
export function differenceInterval(aHits: number, aN: number, bHits: number, bN: number, z = 1.959964): [low: number, high: number] {
  // (hits within [0, n], as wilson takes them)
  const pa = aN > 0 ? Math.min(aN, Math.max(0, aHits)) / aN : 0;
  const pb = bN > 0 ? Math.min(bN, Math.max(0, bHits)) / bN : 0;
  const [la, ua] = wilson(aHits, aN, z);
  const [lb, ub] = wilson(bHits, bN, z);
  const d = pa - pb;
  return [d - Math.sqrt((pa - la) ** 2 + (ub - pb) ** 2), d + Math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)];
}

/**
 * The ratio of two proportions, (aHits / aN) / (bHits / bN), with its 95 % interval by the
 * normal approximation of the log ratio (Katz et al., 1978): ln r ± z·√(1/a − 1/aN + 1/b − 1/bN).
 * Undefined unless both proportions have a success (the log ratio needs them).
 */
export function rateRatio(aHits: number, aN: number, bHits: number, bN: number, z = 1.959964): { ratio: number; ci95: [low: number, high: number] } | undefined {
  if (aHits <= 0 || bHits <= 0 || aN < aHits || bN < bHits) return undefined;
  const ratio = aHits / aN / (bHits / bN);
  const se = Math.sqrt(1 / aHits - 1 / aN + 1 / bHits - 1 / bN);
  const log = Math.log(ratio);
  return { ratio, ci95: [Math.exp(log - z * se), Math.exp(log + z * se)] };
}
