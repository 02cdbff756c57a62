import { ErrorMessage } from "../components/ErrorMessage";
import { Pager } from "../components/Pager";
import { formatInstant } from "../format";
import { usePagedList } from "../paging";

/** A template as GET /api/templates lists it. */
interface TemplateSummary {
  name: string;
  version: number;
  hash: string;
  createdAt: string;
}

/** Registered templates, newest first. */
export function TemplatesPage() {
  const list = usePagedList<TemplateSummary>("/api/templates", new URLSearchParams());
  return (
    <section aria-labelledby="templates-heading">
      <h1 id="templates-heading">Templates</h1>
      <ErrorMessage error={list.error} />
      <div class="table-wrap" aria-busy={list.loading}>
        <table>
          <caption class="visually-hidden">Registered templates, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Template</th>
              <th scope="col">Version</th>
              <th scope="col">Registered</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {list.page?.items.map((template) => (
              <tr key={`${template.name}@${template.version}`}>
                <td>{template.name}</td>
                <td class="number">{template.version}</td>
                <td>{formatInstant(template.createdAt)}</td>
                <td>
                  <code title={template.hash}>{template.hash.slice(0, 19)}…</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.page && list.page.items.length === 0 && <p class="empty">No templates registered yet.</p>}
      </div>
      <Pager list={list} noun="templates" />
    </section>
  );
}
