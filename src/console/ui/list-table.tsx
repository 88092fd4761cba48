/**
 * A list as a table (in its horizontally scrolling wrapper): the headings, a row per item (the caller
 * draws it, its row actions in the last cell), and one line when there is nothing, or nothing yet.
 */
import type { ComponentChildren, VNode } from 'preact';

/** The heading of the row actions' column, for screen readers only. */
export function ActionsHeading() {
  return (
    <th>
      <span class="visually-hidden">Actions</span>
    </th>
  );
}

export function ListTable<T>({ columns, numeric = [], items, row, empty, loading, busy, tableClass = 'list' }: {
  columns: string[];
  /** The columns (by heading) whose numbers align right. */
  numeric?: string[];
  items: T[] | undefined;
  row: (item: T) => VNode;
  /** Said when there are no items. */
  empty: ComponentChildren;
  /** Said before the first items come (without it, the reserved space stays blank). */
  loading?: ComponentChildren;
  busy?: boolean;
  tableClass?: string;
}) {
  const line = (text: ComponentChildren) => (
    <tr>
      <td colSpan={columns.length + 1} class="empty">
        {text}
      </td>
    </tr>
  );
  return (
    <div class="table-wrap" aria-busy={busy}>
      <table class={tableClass}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} class={numeric.includes(c) ? 'num' : undefined}>
                {c}
              </th>
            ))}
            <ActionsHeading />
          </tr>
        </thead>
        <tbody>
          {items?.map(row)}
          {items?.length === 0 && line(empty)}
          {items === undefined && loading !== undefined && line(loading)}
        </tbody>
      </table>
    </div>
  );
}
