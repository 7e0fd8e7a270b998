/**
 * A rate, a difference or an interval bound as a report gives it (the uplift report, the
 * funnel's rates): rounded to `decimals` places (6: a millionth, far below what any count a
 * campaign has can tell apart), so that floating-point noise is not shown as a figure
 * (`4.3e-19` for a bound that is 0, `0.19999999999999998` for 0.2), and never `-0`.
 */
export function reportFigure(x: number, decimals = 6): number {
  const scale = 10 ** decimals;
  const r = Math.round(x * scale) / scale;
  return r === 0 ? 0 : r;
}

/** `reportFigure` of a figure that may be absent (null). */
export function reportFigureOrNull(x: number | null, decimals = 6): number | null {
  return x === null ? null : reportFigure(x, decimals);
}
