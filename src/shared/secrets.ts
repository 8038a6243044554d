const SECRET_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${env:NAME}` reads a secret from the server's environment, so tokens need not be written in stagegate.yaml. */
export function resolveSecret(value: string, env: Record<string, string | undefined> = process.env): string {
  return value.replace(SECRET_REF, (_match, name: string) => env[name] ?? "");
}

/** Resolves every string inside a config object (executor configs), leaving other values as they are. */
export function resolveSecrets<T>(value: T, env: Record<string, string | undefined> = process.env): T {
  if (typeof value === "string") return resolveSecret(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => resolveSecrets(item, env)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveSecrets(item, env)])) as T;
  }
  return value;
}
