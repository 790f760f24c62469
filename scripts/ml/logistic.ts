/**
 * Logistic regression training with `ml-logistic-regression` (plain batch gradient ascent on the
 * summed log-likelihood, no intercept, no regularisation).
 *
 * - The design matrix is the standardised features plus a constant bias column.
 * - Plain gradient ascent is slow on correlated inputs (the handbook's 1/7/30-day windows are),
 *   so the library optimises in a whitened basis: `Z = X_std · P` with `P = V Λ^{-1/2}` from the
 *   eigen-decomposition of the training covariance of `X_std`. The logistic likelihood is invariant
 *   to this invertible reparametrisation, so the optimum is the same model; the learned weights are
 *   mapped back (`w = P v`) and stored as an ordinary `ml-logistic-regression` model over the
 *   standardised features plus bias, which production loads with `LogisticRegression.load`.
 * - `ml-logistic-regression` trains one-vs-all classifiers; for labels {0, 1} classifier 0 scores
 *   P(label != 0) = P(fraud) and classifier 1 is its exact mirror (weights negated, which is what
 *   gradient ascent from zero on the complementary labels produces), so only classifier 0 is trained.
 * - A Newton-Raphson fit of the same likelihood is computed as a convergence check only.
 */
import { EigenvalueDecomposition, Matrix, solve } from "ml-matrix";
import { LogisticRegression, type LogisticRegressionJson } from "../../convex/ml/logistic";

export interface LogisticTrainOptions {
  numSteps: number;
  /** Step size on the mean log-likelihood gradient (the library's rate is this / n). */
  meanLearningRate: number;
}

export interface LogisticTrainResult {
  model: LogisticRegressionJson;
  /** Weights over the standardised features, bias last. */
  weights: number[];
  logLikelihood: number;
  newtonLogLikelihood: number;
  seconds: number;
}

/** Mean log-likelihood of labels under `sigmoid(X w)` (X row-major n × d, bias not included). */
export function meanLogLikelihood(
  x: Float64Array,
  n: number,
  d: number,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
): number {
  let ll = 0;
  for (let i = 0; i < n; i++) {
    let s = w[d];
    for (let j = 0; j < d; j++) s += x[i * d + j] * w[j];
    // log sigmoid(s) for y=1, log sigmoid(-s) for y=0, computed stably.
    const z = y[i] ? s : -s;
    ll += z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
  }
  return ll / n;
}

/** Newton-Raphson maximum likelihood (with a 1e-6 ridge for stability); returns weights, bias last. */
export function newtonLogistic(
  x: Float64Array,
  n: number,
  d: number,
  y: ArrayLike<number>,
  iterations = 25,
): number[] {
  const D = d + 1;
  let w = new Array<number>(D).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(D);
    const h = new Float64Array(D * D);
    const row = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) row[j] = x[i * d + j];
      row[d] = 1;
      let s = 0;
      for (let j = 0; j < D; j++) s += row[j] * w[j];
      const p = 1 / (1 + Math.exp(-s));
      const r = (y[i] ? 1 : 0) - p;
      const wt = p * (1 - p);
      for (let a = 0; a < D; a++) {
        g[a] += r * row[a];
        const ra = wt * row[a];
        for (let b = a; b < D; b++) h[a * D + b] += ra * row[b];
      }
    }
    for (let a = 0; a < D; a++) {
      h[a * D + a] += 1e-6;
      for (let b = 0; b < a; b++) h[a * D + b] = h[b * D + a];
    }
    const hessian = new Matrix(
      Array.from({ length: D }, (_, a) => Array.from(h.subarray(a * D, a * D + D))),
    );
    const step = solve(hessian, Matrix.columnVector(Array.from(g))).to1DArray();
    w = w.map((v, j) => v + step[j]);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return w;
}

/** Whitening matrix P (d × d, row-major) of the columns of x: `cov(x P) = I` on its support. */
export function whitening(x: Float64Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = Matrix.zeros(d, d);
  const c = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = x[i * d + a] - mean[a];
      for (let b = a; b < d; b++) c[a * d + b] += va * (x[i * d + b] - mean[b]);
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov.set(a, b, c[a * d + b] / n);
      cov.set(b, a, c[a * d + b] / n);
    }
  }
  const eig = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const p = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const scale = values[k] > 1e-9 ? 1 / Math.sqrt(values[k]) : 0;
    for (let j = 0; j < d; j++) p[j * d + k] = vectors.get(j, k) * scale;
  }
  return p;
}

/**
 * Trains the library's logistic regression on standardised features `x` (row-major n × d) and
 * labels `y`; returns the library model JSON over `[x, 1]`.
 */
export function trainLogistic(
  x: Float64Array,
  n: number,
  d: number,
  y: ArrayLike<number>,
  options: LogisticTrainOptions,
): LogisticTrainResult {
  const t0 = performance.now();
  const p = whitening(x, n, d);
  const z = new Matrix(n, d + 1);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[i * d + j] * p[j * d + k];
      z.set(i, k, s);
    }
    z.set(i, d, 1);
  }
  const learningRate = options.meanLearningRate / n;
  const target = Matrix.columnVector(Array.from({ length: n }, (_, i) => (y[i] ? 1 : 0)));
  const lr = LogisticRegression.load({
    name: "LogisticRegression",
    numSteps: options.numSteps,
    learningRate,
    numberClasses: 2,
    classifiers: [
      { numSteps: options.numSteps, learningRate, weights: null },
      { numSteps: options.numSteps, learningRate, weights: null },
    ],
  });
  lr.classifiers[0].train(z, target);
  const v = lr.classifiers[0].toJSON().weights.to1DArray();
  const w = new Array<number>(d + 1).fill(0);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += p[j * d + k] * v[k];
    w[j] = s;
  }
  w[d] = v[d];
  const model: LogisticRegressionJson = {
    name: "LogisticRegression",
    numSteps: options.numSteps,
    learningRate,
    numberClasses: 2,
    classifiers: [
      { numSteps: options.numSteps, learningRate, weights: [w] },
      { numSteps: options.numSteps, learningRate, weights: [w.map((v) => -v)] },
    ],
  };
  const wn = newtonLogistic(x, n, d, y);
  return {
    model,
    weights: w,
    logLikelihood: meanLogLikelihood(x, n, d, y, w),
    newtonLogLikelihood: meanLogLikelihood(x, n, d, y, wn),
    seconds: (performance.now() - t0) / 1000,
  };
}
