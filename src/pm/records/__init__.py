"""Records: service results as the flat, named fields that `--json`, `--jsonl`, `--csv` (and
the MCP tools) give out. The one place those names are decided, so the front ends agree.

One name per concept, in every record:

- `account_id`: the broker's account id, in every record that belongs to an account;
- `id`: the record's own id (a book row, a conflict); `asset_id`: the broker's asset id;
- `qty`: a signed quantity (shorts negative); `held_qty`: what the account held before an
  order; `book_qty` / `broker_qty`: the two sides of a reconciliation conflict;
- `*_pct`: percent units (5.0 is 5 %), written to 4 decimal places; `daily_pl_pct` is
  signed as P/L is (a loss is negative), everywhere; `position_pct`: |value| / equity;
- `status_code`: an HTTP status; `status`: the state of the thing the record describes;
- `*_at`, `timestamp`: ISO 8601 in UTC with `Z`; money and quantities: Decimal, written as
  JSON numbers from their exact decimal text.
"""
