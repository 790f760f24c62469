/** Building, hashing, writing and reading the model artifact (`models/fraud-model.json`). */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURE_NAMES } from "../../convex/ml/features";
import type { FraudModelArtifact } from "../../convex/ml/artifact";
import { exportNetwork } from "./neural";
import type { PipelineResult } from "./pipeline";

export const ARTIFACT_FILE = "fraud-model.json";

/** The content hash used as version id: sha256 of the artifact's JSON without `version`, 16 hex chars. */
export function artifactVersion(artifact: Omit<FraudModelArtifact, "version">): string {
  const { version: _ignored, ...content } = artifact as FraudModelArtifact;
  return createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 16);
}

/** Assembles the artifact from a pipeline run (version computed last, from the content). */
export async function buildArtifact(
  result: PipelineResult,
  training: Record<string, unknown>,
  metrics: Record<string, unknown>,
): Promise<FraudModelArtifact> {
  const network = await exportNetwork(result.final.network, training.hiddenUnits as number[]);
  const content: Omit<FraudModelArtifact, "version"> = {
    format: "fraud-model/v1",
    features: [...FEATURE_NAMES],
    scaler: result.final.scaler,
    logistic: result.final.logistic,
    network,
    ensemble: result.ensemble,
    thresholds: result.thresholds,
    training,
    metrics,
  };
  const { format, ...rest } = content;
  return { format, version: artifactVersion(content), ...rest };
}

/** Writes `<dir>/fraud-model.json`. */
export function writeArtifact(dir: string, artifact: FraudModelArtifact): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, ARTIFACT_FILE);
  writeFileSync(path, JSON.stringify(artifact) + "\n");
  return path;
}

/** Reads `<dir>/fraud-model.json` (or a file path), checking its format, features and version. */
export function readArtifact(dirOrFile: string): FraudModelArtifact {
  const path = dirOrFile.endsWith(".json") ? dirOrFile : join(dirOrFile, ARTIFACT_FILE);
  const artifact = JSON.parse(readFileSync(path, "utf8")) as FraudModelArtifact;
  if (artifact.format !== "fraud-model/v1") throw new Error(`${path}: unknown format`);
  if (JSON.stringify(artifact.features) !== JSON.stringify(FEATURE_NAMES)) {
    throw new Error(`${path}: feature list differs from convex/fraud/features.ts FEATURE_NAMES`);
  }
  const expected = artifactVersion(artifact);
  if (artifact.version !== expected) {
    throw new Error(
      `${path}: version ${artifact.version} does not match its content (${expected})`,
    );
  }
  return artifact;
}
