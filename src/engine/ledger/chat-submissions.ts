// Submissions to a chat that has none of its own (AIChatAgent): each stored
// under its idempotency key before its turn is asked for, so a key is taken
// once for good and a restart finds what never reached a turn. And the
// notice messages the host vouches for, by id, so a client cannot forge or
// rewrite one.

import type { UIMessage } from "ai";
import type { ChatSubmissionState } from "../status";
import type { Sql } from "./sql";

export type ChatSubmission = {
  idempotency_key: string;
  submission_id: string;
  messages: UIMessage[];
  state: ChatSubmissionState;
};

type Row = Omit<ChatSubmission, "messages"> & { messages_json: string };

const toSubmission = (row: Row): ChatSubmission => ({
  idempotency_key: row.idempotency_key,
  submission_id: row.submission_id,
  state: row.state,
  messages: JSON.parse(row.messages_json) as UIMessage[]
});

export class ChatSubmissions {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  byKey(key: string): ChatSubmission | undefined {
    const row = this.#sql.rows<Row>(
      "SELECT * FROM bg_chat_submissions WHERE idempotency_key = ?",
      key
    )[0];
    return row ? toSubmission(row) : undefined;
  }

  byId(submissionId: string): ChatSubmission | undefined {
    const row = this.#sql.rows<Row>(
      "SELECT * FROM bg_chat_submissions WHERE submission_id = ?",
      submissionId
    )[0];
    return row ? toSubmission(row) : undefined;
  }

  /** Submissions whose turn has not ended: queued or started, oldest first. */
  open(): ChatSubmission[] {
    return this.#sql
      .rows<Row>(
        "SELECT * FROM bg_chat_submissions WHERE state != 'done' ORDER BY created_at, submission_id"
      )
      .map(toSubmission);
  }

  /** Store a submission and vouch for its messages, in one transaction. */
  insert(key: string, submissionId: string, messages: UIMessage[], now: number): void {
    this.#sql.transaction(() => {
      this.#sql.write(
        `INSERT INTO bg_chat_submissions (idempotency_key, submission_id, messages_json, state, created_at)
         VALUES (?, ?, ?, 'queued', ?)`,
        key,
        submissionId,
        JSON.stringify(messages),
        now
      );
      this.vouch(messages);
    });
  }

  /** Move a submission on; guarded on where it may come from. */
  advance(submissionId: string, to: ChatSubmissionState, from: ChatSubmissionState[]): boolean {
    return (
      this.#sql.write(
        `UPDATE bg_chat_submissions SET state = ? WHERE submission_id = ?
         AND state IN (${from.map(() => "?").join(", ")})`,
        to,
        submissionId,
        ...from
      ) > 0
    );
  }

  forget(submissionId: string): void {
    this.#sql.write("DELETE FROM bg_chat_submissions WHERE submission_id = ?", submissionId);
  }

  /** Record these messages as the host's own: their stored form is kept as given. */
  vouch(messages: readonly UIMessage[]): void {
    for (const message of messages) {
      this.#sql.write(
        "INSERT OR IGNORE INTO bg_chat_notices (message_id, message_json) VALUES (?, ?)",
        message.id,
        JSON.stringify(message)
      );
    }
  }

  /** The host's own message with this id, as it sent it; undefined for any other. */
  vouched(messageId: string): UIMessage | undefined {
    const row = this.#sql.rows<{ message_json: string }>(
      "SELECT message_json FROM bg_chat_notices WHERE message_id = ?",
      messageId
    )[0];
    return row ? (JSON.parse(row.message_json) as UIMessage) : undefined;
  }
}
