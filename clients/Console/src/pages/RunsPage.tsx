import { useState } from "preact/hooks";
import { ErrorMessage } from "../components/ErrorMessage";
import { Pager } from "../components/Pager";
import { formatDuration, formatInstant } from "../format";
import { usePagedList } from "../paging";
import { navigate, useLocation } from "../router";

/** A run as GET /api/runs lists it. */
interface RunSummary {
  runId: string;
  state: string;
  template: { name: string; version: number };
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  labels: Record<string, string>;
  error?: { code: string; message: string; phaseKey?: string | null };
}

export const runStates = ["pending", "running", "awaitingApproval", "completed", "failed", "aborted", "cancelled"] as const;

const stateNames: Record<string, string> = { awaitingApproval: "awaiting approval" };

/**
 * Runs, newest first, filtered by state, template and label (kept in the address, with the page size as `limit`),
 * paged with the API's cursor.
 */
export function RunsPage() {
  const { query } = useLocation();
  const filters = new URLSearchParams();
  for (const name of ["state", "template", "label", "limit"]) {
    const value = query.get(name);
    if (value) filters.set(name, value);
  }
  const list = usePagedList<RunSummary>("/api/runs", filters);

  return (
    <section aria-labelledby="runs-heading">
      <h1 id="runs-heading">Runs</h1>
      <RunFilters key={filters.toString()} filters={filters} />
      <ErrorMessage error={list.error} />
      <div class="table-wrap" aria-busy={list.loading}>
        <table>
          <caption class="visually-hidden">Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Template</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Duration</th>
              <th scope="col">Labels</th>
            </tr>
          </thead>
          <tbody>
            {list.page?.items.map((run) => (
              <tr key={run.runId} data-run-id={run.runId}>
                <td>
                  <code class="id">{run.runId}</code>
                </td>
                <td>
                  {run.template.name}@{run.template.version}
                </td>
                <td>
                  <span class={`state state-${run.state}`}>{stateNames[run.state] ?? run.state}</span>
                  {run.error && <span class="run-error">{run.error.message}</span>}
                </td>
                <td>{formatInstant(run.createdAt)}</td>
                <td>{formatDuration(run.startedAt, run.endedAt)}</td>
                <td>
                  {Object.entries(run.labels).map(([key, value]) => (
                    <span class="label" key={key}>
                      {key}: {value}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.page && list.page.items.length === 0 && <p class="empty">No runs match these filters.</p>}
      </div>
      <Pager list={list} noun="runs" />
    </section>
  );
}

/** The filter form; applying it changes the address, so Back returns to the previous filters. */
function RunFilters(props: { filters: URLSearchParams }) {
  const [state, setState] = useState(props.filters.get("state") ?? "");
  const [template, setTemplate] = useState(props.filters.get("template") ?? "");
  const [label, setLabel] = useState(props.filters.get("label") ?? "");

  const apply = (event: Event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (state) next.set("state", state);
    if (template.trim()) next.set("template", template.trim());
    if (label.trim()) next.set("label", label.trim());
    const limit = props.filters.get("limit");
    if (limit) next.set("limit", limit);
    navigate(next.size > 0 ? `/runs?${next}` : "/runs");
  };

  return (
    <form class="filters" role="search" aria-label="Filter runs" onSubmit={apply}>
      <label>
        State
        <select value={state} onChange={(event) => setState((event.target as HTMLSelectElement).value)}>
          <option value="">All states</option>
          {runStates.map((name) => (
            <option value={name} key={name}>
              {stateNames[name] ?? name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Template
        <input
          type="text"
          placeholder="name or name@version"
          value={template}
          onInput={(event) => setTemplate((event.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        Label
        <input
          type="text"
          placeholder="key:value"
          value={label}
          onInput={(event) => setLabel((event.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Apply filters</button>
      <button type="button" onClick={() => navigate("/runs")}>
        Clear filters
      </button>
    </form>
  );
}
