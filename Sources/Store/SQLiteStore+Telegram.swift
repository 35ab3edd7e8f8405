public import Foundation
import GRDB

extension SQLiteStore {
    /// The getUpdates offset confirmed so far (`nil` before the first run).
    public func telegramOffset() throws(StoreError) -> Int64? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM telegram_state WHERE key = 'offset'").flatMap(Int64.init) }
    }

    /// Records a handled update and the offset after it, in one transaction.
    public func markUpdateProcessed(_ updateID: Int64, offset: Int64, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)", arguments: [updateID, now])
            try db.execute(sql: "INSERT INTO telegram_state (key, value) VALUES ('offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [String(offset)])
            // Update ids are kept a day by Telegram: older rows are of no use.
            try db.execute(sql: "DELETE FROM processed_updates WHERE processed_at < ?", arguments: [now.addingTimeInterval(-2 * 86_400)])
        }
    }

    /// Whether an update was handled already (a crash between answering and confirming).
    public func isUpdateProcessed(_ updateID: Int64) throws(StoreError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM processed_updates WHERE update_id = ?", arguments: [updateID]) ?? false }
    }
}
