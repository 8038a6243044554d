import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { RunsService } from "../runs/runs.service.ts";
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from "./codecs/decode.ts";
import { sparkRoutes } from "./spark.routes.ts";
import { createSparkService } from "./spark.service.ts";

export interface SparkFeatureDeps {
  db: Kysely<Database>;
  clock: Clock;
  runs: Pick<RunsService, "getRun">;
  /** Decompression caps (SPARK_MAX_DECOMPRESSED_BYTES, SPARK_MAX_RATIO); what is left out keeps its default in codecs/decode.ts. */
  limits?: Partial<DecodeLimits>;
}

/** Spark event-log diagnosis attached to runs. */
export function createSparkFeature(deps: SparkFeatureDeps) {
  const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...deps.limits };
  const service = createSparkService({ ...deps, limits });
  return { service, routes: sparkRoutes({ spark: service }) };
}
