import { ErrorMessage } from "../components/ErrorMessage";
import { Pager } from "../components/Pager";
import { formatInstant } from "../format";
import { usePagedList } from "../paging";
import { navigate, useLocation } from "../router";

/** An approval request as GET /api/approvals lists it. */
interface ApprovalSummary {
  requestId: string;
  runId: string;
  phaseKey: string;
  attempt: number;
  gate: string;
  state: string;
  requestedAt: string;
  expiresAt: string | null;
}

const approvalStates = ["pending", "approved", "rejected", "aborted", "expired", "closed"] as const;

/** The approvals inbox (approvers and admins): pending requests by default, other states on request. */
export function ApprovalsPage() {
  const { query } = useLocation();
  const state = query.get("state") ?? "pending";
  const list = usePagedList<ApprovalSummary>("/api/approvals", new URLSearchParams({ state }));

  return (
    <section aria-labelledby="approvals-heading">
      <h1 id="approvals-heading">Approvals</h1>
      <form class="filters" role="search" aria-label="Filter approvals" onSubmit={(event) => event.preventDefault()}>
        <label>
          State
          <select
            value={state}
            onChange={(event) => navigate(`/approvals?state=${encodeURIComponent((event.target as HTMLSelectElement).value)}`)}
          >
            {approvalStates.map((name) => (
              <option value={name} key={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorMessage error={list.error} />
      <div class="table-wrap" aria-busy={list.loading}>
        <table>
          <caption class="visually-hidden">Approval requests ({state})</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Phase</th>
              <th scope="col">Gate</th>
              <th scope="col">State</th>
              <th scope="col">Requested</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {list.page?.items.map((request) => (
              <tr key={request.requestId}>
                <td>
                  <code class="id">{request.runId}</code>
                </td>
                <td>
                  {request.phaseKey} (attempt {request.attempt})
                </td>
                <td>{request.gate}</td>
                <td>
                  <span class={`state state-${request.state}`}>{request.state}</span>
                </td>
                <td>{formatInstant(request.requestedAt)}</td>
                <td>{formatInstant(request.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.page && list.page.items.length === 0 && <p class="empty">No {state} approval requests.</p>}
      </div>
      <Pager list={list} noun="approval requests" />
    </section>
  );
}
