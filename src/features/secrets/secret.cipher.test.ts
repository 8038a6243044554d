import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryLogSink } from "../deployments/executors/executor.contract.ts";
import { decryptSecret, encryptSecret, KEY_FILE, loadKeyring, parseKey } from "./secret.cipher.ts";
import { maskingSink } from "./secret.mask.ts";

const scope = { projectId: "prj_1", environment: "live", name: "ADF_SECRET" };
const hexKey = "0f".repeat(32);

describe("secret cipher", () => {
  it("round-trips a value and never stores it in the clear", () => {
    const keyring = { current: parseKey(hexKey, "k"), previous: [], source: "test" };
    const { ciphertext, keyId } = encryptSecret(keyring, scope, "s3cr3t-välue");
    expect(ciphertext).not.toContain("s3cr3t");
    expect(ciphertext.startsWith(`v1:${keyId}:`)).toBe(true);
    expect(decryptSecret(keyring, scope, ciphertext)).toBe("s3cr3t-välue");
    // A fresh IV every time: equal values do not give equal ciphertexts.
    expect(encryptSecret(keyring, scope, "s3cr3t-välue").ciphertext).not.toBe(ciphertext);
  });

  it("refuses a ciphertext moved to another secret, or altered", () => {
    const keyring = { current: parseKey(hexKey, "k"), previous: [], source: "test" };
    const { ciphertext } = encryptSecret(keyring, scope, "value-1");
    expect(() => decryptSecret(keyring, { ...scope, environment: "quant" }, ciphertext)).toThrow(/altered or belongs to another/);
    const parts = ciphertext.split(":");
    parts[4] = Buffer.from("tampered").toString("base64");
    expect(() => decryptSecret(keyring, scope, parts.join(":"))).toThrow(/does not decrypt/);
  });

  it("decrypts with a previous key after rotation, and says which key is missing otherwise", () => {
    const old = { current: parseKey(hexKey, "k"), previous: [], source: "old" };
    const { ciphertext } = encryptSecret(old, scope, "value-2");
    const rotated = loadKeyring({
      env: { STAGEGATE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64"), STAGEGATE_SECRET_KEY_PREVIOUS: hexKey },
      dataDir: "/nonexistent",
    });
    expect(decryptSecret(rotated, scope, ciphertext)).toBe("value-2");
    const without = { ...rotated, previous: [] };
    expect(() => decryptSecret(without, scope, ciphertext)).toThrow(
      /encrypted with key [0-9a-f]{16}.*STAGEGATE_SECRET_KEY_PREVIOUS/,
    );
  });

  it("rejects a key that is not 32 bytes, naming the variable", () => {
    expect(() => loadKeyring({ env: { STAGEGATE_SECRET_KEY: "short" }, dataDir: "/nonexistent" })).toThrow(
      /STAGEGATE_SECRET_KEY must be 32 bytes/,
    );
  });

  it("creates a key file with mode 0600 once and reuses it; refuses one others can read", () => {
    const dir = mkdtempSync(join(tmpdir(), "sg-key-"));
    const first = loadKeyring({ env: {}, dataDir: dir });
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadKeyring({ env: {}, dataDir: dir }).current.id).toBe(first.current.id);
    expect(readFileSync(join(dir, KEY_FILE), "utf8").trim()).toHaveLength(44);
    const open = mkdtempSync(join(tmpdir(), "sg-key-"));
    writeFileSync(join(open, KEY_FILE), `${Buffer.alloc(32, 1).toString("base64")}\n`, { mode: 0o644 });
    expect(() => loadKeyring({ env: {}, dataDir: open })).toThrow(/readable by others.*chmod 600/);
    for (const path of [dir, open]) rmSync(path, { recursive: true, force: true });
  });
});

describe("masking sink", () => {
  it("masks every value, longest first, including lines of a multi-line value", () => {
    const sink = new MemoryLogSink();
    const masked = maskingSink(sink, [
      "abcd1234",
      "abcd1234-longer",
      "-----BEGIN KEY-----\nMIIEvQIBADAN\n-----END KEY-----",
      "ab",
    ]);
    masked.write("stdout", "token=abcd1234-longer and abcd1234");
    masked.write("stderr", "key line MIIEvQIBADAN leaked");
    masked.write("system", "ab is too short to mask");
    expect(sink.lines.map((entry) => entry.line)).toEqual([
      "token=*** and ***",
      "key line *** leaked",
      "ab is too short to mask",
    ]);
  });
});
