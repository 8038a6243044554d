import { loadKeyring, type SecretKeyring } from "./secret.cipher.ts";
import { secretsRoutes } from "./secrets.routes.ts";
import { createSecretsService, type SecretsDeps } from "./secrets.service.ts";

/** Encrypted secrets for executor configs. The key is read (or created) the first time a secret is used. */
export function createSecretsFeature(
  deps: Omit<SecretsDeps, "keyring"> & { dataDir: string; env?: Record<string, string | undefined> },
) {
  const env = deps.env ?? process.env;
  // A key given in the environment is checked at boot, so a malformed one stops the server naming the variable.
  let keyring: SecretKeyring | undefined = env.STAGEGATE_SECRET_KEY ? loadKeyring({ env, dataDir: deps.dataDir }) : undefined;
  const service = createSecretsService({
    ...deps,
    keyring: () => {
      keyring ??= loadKeyring({ env, dataDir: deps.dataDir });
      return keyring;
    },
  });
  return { service, routes: secretsRoutes(service) };
}
