// The analysis is what the API returns, so its types live in shared/ where the dashboard reads them too.
export * from "../../shared/spark.api.ts";
