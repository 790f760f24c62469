"use node";
/**
 * The TF.js feed-forward network at inference time: loading it from the artifact, its
 * probabilities and its integrated-gradient attributions. Tensors only; the decision is made in
 * `decision.ts`. Needs Convex's Node runtime (TF.js is bundled there only); uses only
 * `@tensorflow/tfjs` on its pure-JS CPU backend, and loads the network from the artifact in memory
 * (`tf.io.fromMemory`), never from a file or URL.
 */
import * as tf from "@tensorflow/tfjs";
import type { FraudModelArtifact, NetworkArtifact } from "./artifact";
import { sigmoid } from "./logistic";

/** The attribution method `networkAttributions` implements, for APIs to report. */
export const NETWORK_ATTRIBUTION_METHOD =
  "integrated-gradients(logit, baseline=training mean, steps=32)" as const;
const IG_STEPS = 32;

let backendReady: Promise<void> | null = null;

/** Selects TF.js's pure-JS CPU backend once per process. */
function ensureCpuBackend(): Promise<void> {
  if (!backendReady) {
    backendReady = tf.setBackend("cpu").then((ok) => {
      if (!ok) throw new Error("TF.js CPU backend unavailable");
    });
  }
  return backendReady;
}

/** Decodes base64 without Node's Buffer (works in any JS runtime with `atob`). */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Encodes bytes as base64 without Node's Buffer. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

/** Loads a network from its artifact entirely in memory (no cache). */
export async function loadNetwork(network: NetworkArtifact): Promise<tf.LayersModel> {
  await ensureCpuBackend();
  const bytes = base64ToBytes(network.weightDataBase64);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: network.modelTopology as tf.io.ModelJSON["modelTopology"],
      weightSpecs: network.weightSpecs,
      weightData,
    }),
  );
}

const networkCache = new Map<string, Promise<tf.LayersModel>>();

/** The artifact's network, loaded once per process and model version. */
export function getNetwork(
  artifact: Pick<FraudModelArtifact, "version" | "network">,
): Promise<tf.LayersModel> {
  let p = networkCache.get(artifact.version);
  if (!p) {
    p = loadNetwork(artifact.network);
    p.catch(() => networkCache.delete(artifact.version));
    networkCache.set(artifact.version, p);
  }
  return p;
}

/** Network logits (the output layer is linear) for standardised rows. */
export function networkLogits(
  model: tf.LayersModel,
  standardisedRows: readonly ArrayLike<number>[],
) {
  if (standardisedRows.length === 0) return [];
  const d = standardisedRows[0].length;
  const flat = new Float32Array(standardisedRows.length * d);
  standardisedRows.forEach((r, i) => flat.set(Array.from(r), i * d));
  const out = tf.tidy(() => {
    const x = tf.tensor2d(flat, [standardisedRows.length, d]);
    return (model.predict(x) as tf.Tensor).reshape([-1]);
  });
  const values = Array.from(out.dataSync());
  out.dispose();
  return values;
}

/** Network fraud probability for one standardised row. */
export async function predictNetwork(
  artifact: Pick<FraudModelArtifact, "version" | "network">,
  standardised: ArrayLike<number>,
): Promise<number> {
  const model = await getNetwork(artifact);
  return sigmoid(networkLogits(model, [standardised])[0]);
}

/** Network fraud probabilities for many standardised rows (one forward pass per 8192 rows). */
export async function predictNetworkBatch(
  artifact: Pick<FraudModelArtifact, "version" | "network">,
  standardisedRows: readonly ArrayLike<number>[],
): Promise<number[]> {
  const model = await getNetwork(artifact);
  const out: number[] = [];
  for (let i = 0; i < standardisedRows.length; i += 8192) {
    for (const z of networkLogits(model, standardisedRows.slice(i, i + 8192))) out.push(sigmoid(z));
  }
  return out;
}

/**
 * Per-feature attribution of the network's logit for one standardised row, by integrated gradients
 * from the all-zero baseline (the training mean): attributions sum to `logit(x) - logit(0)` up to
 * the Riemann error of `IG_STEPS` midpoint steps.
 */
export async function networkAttributions(
  artifact: Pick<FraudModelArtifact, "version" | "network" | "features">,
  standardised: ArrayLike<number>,
): Promise<{ feature: string; attribution: number }[]> {
  const model = await getNetwork(artifact);
  const d = standardised.length;
  const x = Float32Array.from(Array.from(standardised));
  const grads = tf.tidy(() => {
    const alphas = tf.linspace(0.5 / IG_STEPS, 1 - 0.5 / IG_STEPS, IG_STEPS).reshape([IG_STEPS, 1]);
    const path = alphas.mul(tf.tensor2d(x, [1, d]));
    const g = tf.grad((inp: tf.Tensor) => (model.apply(inp) as tf.Tensor).sum())(path);
    return g.mean(0);
  });
  const mean = Array.from(grads.dataSync());
  grads.dispose();
  return artifact.features.map((feature, j) => ({ feature, attribution: mean[j] * x[j] }));
}
