import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { RunsService } from "../runs/runs.service.ts";
import type { DecodeLimits } from "./codecs/decode.ts";
import { sparkRoutes } from "./spark.routes.ts";
import { createSparkService } from "./spark.service.ts";

export interface SparkFeatureDeps {
  db: Kysely<Database>;
  clock: Clock;
  runs: Pick<RunsService, "getRun">;
  /** Decompression caps; defaults in codecs/decode.ts. */
  limits?: DecodeLimits;
}

/** Spark event-log diagnosis attached to runs. */
export function createSparkFeature(deps: SparkFeatureDeps) {
  const service = createSparkService(deps);
  return { service, routes: sparkRoutes({ spark: service }) };
}
