/** A column of a history table: its heading and its text for a row. */
export type Column<Row> = readonly [heading: string, text: (row: Row) => string]

export interface HistoryTableProps<Row> {
  label: string
  /** The class of each row (`trip`, `stop`). */
  rowClass: string
  columns: ReadonlyArray<Column<Row>>
  rows: readonly Row[]
  keyOf: (row: Row) => string
  /** A row was chosen: the replay goes there. */
  onChoose: (row: Row) => void
  /** What choosing a row does, said to screen readers (`Go to the trip of 08:10`). */
  chooseLabel: (row: Row) => string
}

/**
 * The trips or the stops of a history, a row each. A row is chosen by a click anywhere on it, or
 * by its first cell's button from the keyboard.
 */
export function HistoryTable<Row>(props: HistoryTableProps<Row>) {
  const { label, rowClass, columns, rows, keyOf, onChoose, chooseLabel } = props
  const [first, ...rest] = columns
  return (
    <table class="trip-table" aria-label={label}>
      <thead>
        <tr>
          {columns.map(([heading]) => (
            <th key={heading} scope="col">
              {heading}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={keyOf(row)} class={rowClass} onClick={() => onChoose(row)}>
            <td>
              <button
                type="button"
                class="table-choose"
                aria-label={chooseLabel(row)}
                onClick={(event) => {
                  // The row's own click does it.
                  event.stopPropagation()
                  onChoose(row)
                }}
              >
                {first?.[1](row)}
              </button>
            </td>
            {rest.map(([heading, text]) => (
              <td key={heading}>{text(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
