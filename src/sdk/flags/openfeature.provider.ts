import {
  type ErrorCode,
  type JsonValue,
  type EvaluationContext as OFContext,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from "@openfeature/server-sdk";
import type { EvaluationContext, FlagType } from "../../shared/flags/flags.types.ts";
import { FlagClient, type FlagClientOptions } from "./flag-client.ts";

/**
 * An OpenFeature server provider that evaluates stagegate flags in-process (no request per evaluation) and emits
 * PROVIDER_CONFIGURATION_CHANGED with the changed keys whenever the environment's flag set changes.
 *
 * ```ts
 * await OpenFeature.setProviderAndWait(new StagegateProvider({ baseUrl, sdkKey }));
 * const on = await OpenFeature.getClient().getBooleanValue("new-checkout", false, { targetingKey: user.id });
 * ```
 */
export class StagegateProvider implements Provider {
  readonly metadata = { name: "stagegate" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly client: FlagClient;
  #unsubscribe: (() => void) | undefined;

  constructor(options: FlagClientOptions | FlagClient) {
    this.client = options instanceof FlagClient ? options : new FlagClient(options);
  }

  async initialize(): Promise<void> {
    await this.client.ready();
    this.#unsubscribe = this.client.onChange(({ changed, version }) => {
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed, metadata: { flagSetVersion: version } });
    });
  }

  async onClose(): Promise<void> {
    this.#unsubscribe?.();
    await this.client.close();
  }

  async resolveBooleanEvaluation(key: string, defaultValue: boolean, context: OFContext): Promise<ResolutionDetails<boolean>> {
    return this.#resolve(key, defaultValue, context, "boolean");
  }

  async resolveStringEvaluation(key: string, defaultValue: string, context: OFContext): Promise<ResolutionDetails<string>> {
    return this.#resolve(key, defaultValue, context, "string");
  }

  async resolveNumberEvaluation(key: string, defaultValue: number, context: OFContext): Promise<ResolutionDetails<number>> {
    return this.#resolve(key, defaultValue, context, "number");
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    defaultValue: T,
    context: OFContext,
  ): Promise<ResolutionDetails<T>> {
    return this.#resolve(key, defaultValue, context, "object");
  }

  #resolve<T>(key: string, defaultValue: T, context: OFContext, type: FlagType): ResolutionDetails<T> {
    const result = this.client.evaluate(key, context as EvaluationContext, type);
    const flagMetadata = { flagSetVersion: this.client.version ?? 0 };
    if ("errorCode" in result) {
      return {
        value: defaultValue,
        reason: "ERROR",
        errorCode: result.errorCode as ErrorCode,
        errorMessage: result.errorDetails,
        flagMetadata,
      };
    }
    return { value: result.value as T, variant: result.variant, reason: result.reason, flagMetadata };
  }
}
