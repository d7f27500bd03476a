/**
 * How close to saturation is the exploration? Incidence-based estimators over
 * executions (each execution is a sampling unit, each feature a species):
 *  - Good–Turing: the chance that the next execution finds something new ≈ Q1/n.
 *  - Chao2: estimated total S_est = S_obs + ((n-1)/n)·Q1²/(2·Q2),
 *    bias-corrected ((n-1)/n)·Q1(Q1-1)/2 when Q2 = 0.
 * Q1 and Q2 count the features seen in exactly one and exactly two executions.
 */
export interface Saturation {
  executions: number;
  observed: number;
  q1: number;
  q2: number;
  estimatedTotal: number;
  /** S_est - S_obs: the number of features we expect still to be missing */
  estimatedMissing: number;
  /** Q1/n */
  discoveryProbability: number;
}

export function saturation(executions: number, incidence: Iterable<number>): Saturation {
  let observed = 0;
  let q1 = 0;
  let q2 = 0;
  for (const count of incidence) {
    if (count <= 0) continue;
    observed += 1;
    if (count === 1) q1 += 1;
    else if (count === 2) q2 += 1;
  }
  const n = executions;
  if (n === 0) {
    return { executions: 0, observed, q1, q2, estimatedTotal: observed, estimatedMissing: 0, discoveryProbability: 1 };
  }
  const k = (n - 1) / n;
  const extra = q1 === 0 ? 0 : q2 > 0 ? (k * q1 * q1) / (2 * q2) : (k * q1 * (q1 - 1)) / 2;
  return {
    executions: n,
    observed,
    q1,
    q2,
    estimatedTotal: observed + extra,
    estimatedMissing: extra,
    discoveryProbability: q1 / n,
  };
}
