import { ErrorMessage } from "../components/ErrorMessage";
import { Pager } from "../components/Pager";
import { formatInstant } from "../format";
import { usePagedList } from "../paging";

/** A study as GET /api/studies lists it. */
interface StudySummary {
  studyId: string;
  name: string;
  state: string;
  template: string;
  plannedRuns: number;
  createdAt: string;
  endedAt: string | null;
}

/** Studies, newest first. */
export function StudiesPage() {
  const list = usePagedList<StudySummary>("/api/studies", new URLSearchParams());
  return (
    <section aria-labelledby="studies-heading">
      <h1 id="studies-heading">Studies</h1>
      <ErrorMessage error={list.error} />
      <div class="table-wrap" aria-busy={list.loading}>
        <table>
          <caption class="visually-hidden">Studies, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Study</th>
              <th scope="col">Template</th>
              <th scope="col">State</th>
              <th scope="col">Planned runs</th>
              <th scope="col">Created</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody>
            {list.page?.items.map((study) => (
              <tr key={study.studyId}>
                <td title={study.studyId}>{study.name}</td>
                <td>{study.template}</td>
                <td>
                  <span class={`state state-${study.state}`}>{study.state}</span>
                </td>
                <td class="number">{study.plannedRuns}</td>
                <td>{formatInstant(study.createdAt)}</td>
                <td>{formatInstant(study.endedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.page && list.page.items.length === 0 && <p class="empty">No studies yet.</p>}
      </div>
      <Pager list={list} noun="studies" />
    </section>
  );
}
