import { useId } from "react";
import { useSearchParams } from "react-router";
import { useEnvironments } from "../api/hooks.ts";

/** `?environment=` and `?status=` of a list page; changing either starts the list over from its first page. */
export function useEnvStatusFilter() {
  const [params, setParams] = useSearchParams();
  const set = (key: "environment" | "status", value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete("cursor");
    setParams(next);
  };
  return { environment: params.get("environment") ?? undefined, status: params.get("status") ?? undefined, set };
}

/** The environment and status selects above a project's list of deployments or runs. */
export function EnvStatusFilters({
  slug,
  statuses,
  label = (status) => status,
}: {
  slug: string;
  statuses: readonly string[];
  label?: (status: string) => string;
}) {
  const id = useId();
  const envs = useEnvironments(slug);
  const { environment, status, set } = useEnvStatusFilter();
  return (
    <fieldset className="toolbar" style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
      <legend className="sr-only">Filters</legend>
      <label htmlFor={`${id}-env`}>Environment</label>
      <select id={`${id}-env`} value={environment ?? ""} onChange={(e) => set("environment", e.target.value)}>
        <option value="">All</option>
        {envs.data?.items.map((e) => (
          <option key={e.name} value={e.name}>
            {e.name}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-status`}>Status</label>
      <select id={`${id}-status`} value={status ?? ""} onChange={(e) => set("status", e.target.value)}>
        <option value="">All</option>
        {statuses.map((s) => (
          <option key={s} value={s}>
            {label(s)}
          </option>
        ))}
      </select>
    </fieldset>
  );
}
