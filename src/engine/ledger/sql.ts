// The one way the ledgers touch SQLite: typed reads, writes that report rows
// written, counts and transactions.

export class Sql {
  readonly #storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  rows<T>(query: string, ...bindings: SqlStorageValue[]): T[] {
    return this.#storage.sql.exec(query, ...bindings).toArray() as T[];
  }

  /** Rows written: `> 0` means it applied (never `=== 1`: SQLite counts index writes too). */
  write(query: string, ...bindings: SqlStorageValue[]): number {
    return this.#storage.sql.exec(query, ...bindings).rowsWritten;
  }

  count(query: string, ...bindings: SqlStorageValue[]): number {
    return this.rows<{ n: number | null }>(query, ...bindings)[0]?.n ?? 0;
  }

  transaction<T>(fn: () => T): T {
    return this.#storage.transactionSync(fn);
  }
}
