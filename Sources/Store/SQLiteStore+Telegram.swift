public import Foundation
import GRDB

extension SQLiteStore {
    /// The getUpdates offset confirmed so far (`nil` before the first run).
    public func telegramOffset() throws(StoreError) -> Int64? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM telegram_state WHERE key = 'offset'").flatMap(Int64.init) }
    }

    /// Records a handled update (and takes it out of the inbox), in one transaction.
    public func markUpdateProcessed(_ updateID: Int64, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)", arguments: [updateID, now])
            try db.execute(sql: "DELETE FROM telegram_inbox WHERE update_id = ?", arguments: [updateID])
            // Update ids are kept a day by Telegram: older rows are of no use.
            try db.execute(sql: "DELETE FROM processed_updates WHERE processed_at < ?", arguments: [now.addingTimeInterval(-2 * 86_400)])
        }
    }

    /// Whether an update was handled already (a crash between answering and confirming).
    public func isUpdateProcessed(_ updateID: Int64) throws(StoreError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM processed_updates WHERE update_id = ?", arguments: [updateID]) ?? false }
    }

    /// Stores received updates in the inbox until they are answered and, in the same transaction,
    /// the getUpdates offset past them (polling; `nil` for webhooks). Returns the ids that are new:
    /// an update waiting in the inbox or handled already is not stored again (Telegram delivers
    /// again when its acknowledgement got lost).
    public func storeIncomingUpdates(_ updates: [(updateID: Int64, payload: Data)], offset: Int64? = nil, at now: Date = Date()) throws(StoreError) -> [Int64] {
        try write { db in
            var stored: [Int64] = []
            for (id, payload) in updates {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM processed_updates WHERE update_id = ?", arguments: [id]) == true { continue }
                try db.execute(sql: "INSERT OR IGNORE INTO telegram_inbox (update_id, payload, received_at) VALUES (?, ?, ?)", arguments: [id, payload, now])
                if db.changesCount > 0 { stored.append(id) }
            }
            if let offset {
                try db.execute(sql: "INSERT INTO telegram_state (key, value) VALUES ('offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [String(offset)])
            }
            return stored
        }
    }

    /// Updates received but not yet answered, oldest first.
    public func pendingUpdates() throws(StoreError) -> [(updateID: Int64, payload: Data)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT update_id, payload FROM telegram_inbox ORDER BY update_id").map { ($0["update_id"], $0["payload"]) }
        }
    }
}
