import GRDB

extension SQLiteStore {
    /// The versioned schema. Add a new migration for every change; never edit an applied one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial", migrate: createInitialSchema)
        migrator.registerMigration("v2-circuit-state") { db in
            // The circuit of each provider, so `stats` and `health` from another process see it.
            try db.alter(table: "provider_settings") { t in
                t.add(column: "circuit", .text).notNull().defaults(to: "closed")
                t.add(column: "circuit_changed_at", .datetime)
            }
        }
        migrator.registerMigration("v3-conversation-analytics") { db in
            try db.alter(table: "conversations") { t in
                t.add(column: "summarized_through", .integer).notNull().defaults(to: 0)
                t.add(column: "sentiment_trend", .text).notNull().defaults(to: "[]")
                t.add(column: "current_phase", .text).notNull().defaults(to: "")
                t.add(column: "current_topic", .text).notNull().defaults(to: "")
                t.add(column: "last_user", .text).notNull().defaults(to: "")
            }
            try db.alter(table: "user_profiles") { t in
                t.add(column: "adaptations", .integer).notNull().defaults(to: 0)
            }
            // v1's belongsTo named the column conversationId; every other column is snake_case.
            try db.alter(table: "messages") { t in t.rename(column: "conversationId", to: "conversation_id") }
            try db.create(index: "messages_by_conversation", on: "messages", columns: ["conversation_id", "id"])
        }
        migrator.registerMigration("v4-telegram-inbox") { db in
            // Updates stored when received (before the getUpdates offset moves past them, or before
            // a webhook call is answered 200) and removed once answered: a crash in between is
            // picked up at the next start, and polling never re-fetches what is in hand.
            try db.create(table: "telegram_inbox") { t in
                t.primaryKey("update_id", .integer)
                t.column("payload", .blob).notNull()
                t.column("received_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v5-usage-by-time-only") { db in
            // Every query over usage asks for a time range (today's spend, stats since a start);
            // none for one provider or one user. The two indexes led by provider and user only cost
            // two more B-tree writes per request, and without statistics the planner scanned all
            // of history along the provider index to avoid sorting a day's rows by provider.
            try db.drop(index: "usage_by_provider_time")
            try db.drop(index: "usage_by_user_time")
        }
        migrator.registerMigration("v6-cache-entries-in-save-order") { db in
            // Keyed by a SHA-256 digest, every saved answer went to a random place in the key's
            // B-tree, so each batch of saves rewrote a page per answer. Rows now go in the order
            // they are saved, found by their expiry (indexed, in save order too) and key, both of
            // which the cache keeps in memory for every unexpired entry.
            try db.create(table: "cache_entries_v6") { t in
                t.column("key", .text).notNull()
                t.column("provider", .text).notNull()
                t.column("model", .text).notNull()
                t.column("response", .text).notNull()
                t.column("input_tokens", .integer).notNull()
                t.column("output_tokens", .integer).notNull()
                t.column("cost_usd", .double).notNull()
                t.column("hits", .integer).notNull().defaults(to: 0)
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull()
            }
            let columns = "key, provider, model, response, input_tokens, output_tokens, cost_usd, hits, created_at, expires_at"
            try db.execute(sql: "INSERT INTO cache_entries_v6 (\(columns)) SELECT \(columns) FROM cache_entries ORDER BY expires_at")
            try db.drop(table: "cache_entries")
            try db.rename(table: "cache_entries_v6", to: "cache_entries")
            try db.create(index: "cache_entries_by_expiry", on: "cache_entries", columns: ["expires_at"])
        }
        migrator.registerMigration("v7-telegram-attempts-and-delivery") { db in
            // How often handling an update began (one that crashed the process twice is put
            // aside), and what of its answer was delivered already: after a crash between
            // sending and confirming, only the parts Telegram has not accepted are sent.
            try db.alter(table: "telegram_inbox") { t in
                t.add(column: "attempts", .integer).notNull().defaults(to: 0)
                t.add(column: "answer", .text)
                t.add(column: "preview_message", .integer)
                t.add(column: "delivered_parts", .integer).notNull().defaults(to: 0)
            }
            // Updates put aside: unreadable, or their handling crashed the process. Kept for
            // the operator, never answered automatically.
            try db.create(table: "telegram_quarantine") { t in
                t.primaryKey("update_id", .integer)
                t.column("payload", .blob).notNull()
                t.column("reason", .text).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("quarantined_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v8-budget-reservations") { db in
            // Budget claims in flight, shared by every process on the file (see
            // BudgetReservationRow): checked and inserted in one transaction, replaced by their
            // usage row in another.
            // A plain rowid key: ids of settled reservations may be reused (no sqlite_sequence
            // page to write on every reservation).
            try db.create(table: "budget_reservations") { t in
                t.primaryKey("id", .integer)
                t.column("owner", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("request_id", .text).notNull()
                t.column("conversation_id", .text)
                t.column("user_id", .text)
                t.column("provider", .text).notNull()
                t.column("model", .text).notNull()
                t.column("amount_usd", .double).notNull()
                t.column("created_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v9-facts-through") { db in
            // Key facts are taken from people's messages after the reply, in the background: the
            // newest message they have been taken from, so none is skipped across a crash.
            try db.alter(table: "conversations") { t in
                t.add(column: "facts_through", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE conversations SET facts_through = COALESCE((SELECT MAX(id) FROM messages WHERE conversation_id = conversations.id), 0)")
        }
        migrator.registerMigration("v10-request-ids") { db in
            // One answer's story (`switchboard trace ID`): its error-log lines, its usage rows and,
            // for Telegram, the update it answered and how much of it was delivered.
            try db.alter(table: "error_log") { t in t.add(column: "request_id", .text) }
            try db.create(index: "error_log_by_request", on: "error_log", columns: ["request_id"])
            try db.create(index: "usage_by_request", on: "usage", columns: ["request_id"])
            try db.alter(table: "telegram_inbox") { t in t.add(column: "request_id", .text) }
            try db.alter(table: "processed_updates") { t in
                t.add(column: "request_id", .text)
                t.add(column: "delivered_parts", .integer)
            }
            try db.create(index: "processed_updates_by_request", on: "processed_updates", columns: ["request_id"])
        }
        return migrator
    }

    private static func createInitialSchema(_ db: Database) throws {
        try db.create(table: "conversations") { t in
            t.primaryKey("id", .text)
            t.column("channel", .text).notNull()
            t.column("title", .text).notNull().defaults(to: "")
            t.column("user_id", .text)
            t.column("persona", .text)
            t.column("summary", .text).notNull().defaults(to: "")
            t.column("key_facts", .text).notNull().defaults(to: "[]")
            t.column("message_count", .integer).notNull().defaults(to: 0)
            t.column("last_pruned_at", .datetime)
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime).notNull()
        }
        try db.create(table: "messages") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("conversation", inTable: "conversations", onDelete: .cascade).notNull()
            t.column("role", .text).notNull()
            t.column("content", .text).notNull()
            t.column("request_id", .text)
            t.column("token_estimate", .integer)
            t.column("created_at", .datetime).notNull()
        }
        // One row per provider attempt (or cache hit): the ledger budgets are summed from.
        try db.create(table: "usage") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("request_id", .text).notNull()
            t.column("conversation_id", .text)
            t.column("user_id", .text)
            t.column("provider", .text).notNull()
            t.column("model", .text).notNull()
            t.column("input_tokens", .integer).notNull().defaults(to: 0)
            t.column("output_tokens", .integer).notNull().defaults(to: 0)
            t.column("cache_read_tokens", .integer).notNull().defaults(to: 0)
            t.column("cache_write_tokens", .integer).notNull().defaults(to: 0)
            t.column("cost_usd", .double).notNull().defaults(to: 0)
            t.column("cost_estimated", .boolean).notNull().defaults(to: false)
            t.column("latency_ms", .integer)
            t.column("ttft_ms", .integer)
            t.column("cache_hit", .boolean).notNull().defaults(to: false)
            t.column("route_reason", .text)
            t.column("outcome", .text).notNull()
            t.column("error_kind", .text)
            t.column("created_at", .datetime).notNull()
        }
        try db.create(index: "usage_by_time", on: "usage", columns: ["created_at"])
        try db.create(index: "usage_by_provider_time", on: "usage", columns: ["provider", "created_at"])
        try db.create(index: "usage_by_user_time", on: "usage", columns: ["user_id", "created_at"])
        try db.create(table: "cache_entries") { t in
            t.primaryKey("key", .text)
            t.column("provider", .text).notNull()
            t.column("model", .text).notNull()
            t.column("response", .text).notNull()
            t.column("input_tokens", .integer).notNull()
            t.column("output_tokens", .integer).notNull()
            t.column("cost_usd", .double).notNull()
            t.column("hits", .integer).notNull().defaults(to: 0)
            t.column("created_at", .datetime).notNull()
            t.column("expires_at", .datetime).notNull().indexed()
        }
        try db.create(table: "user_profiles") { t in
            t.primaryKey("user_id", .text)
            t.column("traits", .text).notNull().defaults(to: "{}")
            t.column("persona", .text)
            t.column("message_count", .integer).notNull().defaults(to: 0)
            t.column("updated_at", .datetime).notNull()
        }
        try db.create(table: "provider_settings") { t in
            t.primaryKey("provider", .text)
            t.column("enabled", .boolean).notNull().defaults(to: true)
            t.column("hourly_quota_usd", .double)
            t.column("daily_quota_usd", .double)
            t.column("updated_at", .datetime).notNull()
        }
        // Operator choices that are not per provider: the pinned model, the global limit…
        try db.create(table: "runtime_settings") { t in
            t.primaryKey("key", .text)
            t.column("value", .text).notNull()
            t.column("updated_at", .datetime).notNull()
        }
        try db.create(table: "secrets") { t in
            t.primaryKey("name", .text)
            t.column("key_fingerprint", .text).notNull()
            t.column("ciphertext", .blob).notNull()
            t.column("updated_at", .datetime).notNull()
        }
        try db.create(table: "error_log") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("source", .text).notNull()
            t.column("kind", .text)
            t.column("message", .text).notNull()
            t.column("created_at", .datetime).notNull().indexed()
        }
        try db.create(table: "telegram_state") { t in
            t.primaryKey("key", .text)
            t.column("value", .text).notNull()
        }
        try db.create(table: "processed_updates") { t in
            t.primaryKey("update_id", .integer)
            t.column("processed_at", .datetime).notNull()
        }
    }
}
