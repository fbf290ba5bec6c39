// The ledger: every table of the engine, as SQL and nothing else.

import { newSecret } from "../keys";
import { BatchLedger } from "./batches";
import { Listing } from "./listing";
import { NoticeLedger } from "./notices";
import { PrunedLedger } from "./pruned";
import { Sql } from "./sql";
import { TaskLedger } from "./tasks";

export type { NoticeTarget } from "./notices";
export type { FollowedRef, NewTask, SettleFields } from "./tasks";

export class Ledger {
  readonly sql: Sql;
  readonly tasks: TaskLedger;
  readonly batches: BatchLedger;
  readonly listing: Listing;
  readonly notices: NoticeLedger;
  readonly pruned: PrunedLedger;
  #secret: string | undefined;

  constructor(storage: DurableObjectStorage) {
    this.sql = new Sql(storage);
    this.tasks = new TaskLedger(this.sql);
    this.batches = new BatchLedger(this.sql);
    this.listing = new Listing(this.sql);
    this.notices = new NoticeLedger(this.sql);
    this.pruned = new PrunedLedger(this.sql);
  }

  /**
   * This instance's secret, minted on first use: notice message ids are
   * derived from it, so nobody who can post into the chat can take a notice's
   * id before the notice lands (appends are idempotent by message id).
   */
  messageSecret(): string {
    if (this.#secret !== undefined) return this.#secret;
    this.sql.write(
      "INSERT INTO bg_meta (key, value) VALUES ('message_secret', ?) ON CONFLICT (key) DO NOTHING",
      newSecret()
    );
    const row = this.sql.rows<{ value: string }>(
      "SELECT value FROM bg_meta WHERE key = 'message_secret'"
    )[0];
    if (!row) throw new Error("agents-background: the message secret could not be stored");
    this.#secret = row.value;
    return row.value;
  }
}
