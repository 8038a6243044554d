import type { PageOf } from "../shared/api.ts";
import type {
  CreatedToken,
  CreateTokenBody,
  CreateUserBody,
  LoginBody,
  Member,
  SessionInfo,
  SetMemberBody,
  TokenInfo,
  User,
} from "../shared/auth.api.ts";
import { AuditClient } from "./audit.ts";
import { ApiError } from "./errors.ts";
import type { PageRequest } from "./paginate.ts";
import { path, readJson } from "./transport.ts";

const SESSION_COOKIE = "sg_session";

/** A signed-in session outside a browser: pass it as `session` to a new client to act as the user. */
export interface LoginResult {
  session: SessionInfo;
  /** The `sg_session` cookie value. */
  cookie: string;
}

/** Users, project members, sessions and API tokens. */
export class AuthClient extends AuditClient {
  // ── sessions ──────────────────────────────────────────────────────────────────────────────────────────────────
  /** Signs in with a password. A browser keeps the cookie itself; other clients get it here. */
  async login(body: LoginBody): Promise<LoginResult> {
    const { response, url } = await this.send("/api/v1/session", { method: "POST", json: body });
    const session = await readJson<SessionInfo>(response, url);
    const prefix = `${SESSION_COOKIE}=`;
    const cookie = response.headers
      .getSetCookie()
      .map((header) => header.split(";")[0]?.trim() ?? "")
      .find((pair) => pair.startsWith(prefix));
    if (!cookie) {
      throw new ApiError({
        status: response.status,
        code: "invalid_response",
        message: `${url} signed in but set no session cookie`,
      });
    }
    return { session, cookie: cookie.slice(prefix.length) };
  }

  async getSession(): Promise<SessionInfo> {
    return this.json("/api/v1/session");
  }

  async logout(): Promise<void> {
    await this.send("/api/v1/session", { method: "DELETE" });
  }

  // ── tokens ────────────────────────────────────────────────────────────────────────────────────────────────────
  async createToken(body: CreateTokenBody): Promise<CreatedToken> {
    return this.json("/api/v1/tokens", { method: "POST", json: body });
  }

  async listTokens(page: PageRequest = {}): Promise<PageOf<TokenInfo>> {
    return this.json("/api/v1/tokens", { query: { ...page } });
  }

  async revokeToken(id: string): Promise<void> {
    await this.send(path`/api/v1/tokens/${id}`, { method: "DELETE" });
  }

  // ── users and members ─────────────────────────────────────────────────────────────────────────────────────────
  async createUser(body: CreateUserBody): Promise<User> {
    return this.json("/api/v1/users", { method: "POST", json: body });
  }

  async listUsers(page: PageRequest = {}): Promise<PageOf<User>> {
    return this.json("/api/v1/users", { query: { ...page } });
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.send(path`/api/v1/users/${username}/password`, { method: "PUT", json: { password } });
  }

  /** Global admins: a disabled user's sign-in, sessions and personal tokens stop working at once; enable undoes it. */
  async setUserDisabled(username: string, disabled: boolean): Promise<User> {
    return this.json(path`/api/v1/users/${username}/${disabled ? "disable" : "enable"}`, { method: "POST" });
  }

  async setMember(slug: string, body: SetMemberBody): Promise<Member> {
    return this.json(path`/api/v1/projects/${slug}/members`, { method: "PUT", json: body });
  }

  async listMembers(slug: string): Promise<{ items: Member[] }> {
    return this.json(path`/api/v1/projects/${slug}/members`);
  }

  async removeMember(slug: string, username: string): Promise<void> {
    await this.send(path`/api/v1/projects/${slug}/members/${username}`, { method: "DELETE" });
  }
}
