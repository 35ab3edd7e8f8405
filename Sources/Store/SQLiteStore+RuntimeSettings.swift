public import Foundation
import Core
import GRDB

/// Keys of the operator's choices kept in `runtime_settings`.
public enum RuntimeSettingKey: String, Sendable {
    /// The model every request is pinned to; absent = automatic routing.
    case pinnedModel = "pinned_model"
}

extension SQLiteStore {
    /// A runtime setting, if set.
    public func runtimeSetting(_ key: RuntimeSettingKey) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM runtime_settings WHERE key = ?", arguments: [key.rawValue]) }
    }

    /// Sets (or, with `nil`, clears) a runtime setting.
    public func setRuntimeSetting(_ key: RuntimeSettingKey, to value: String?, at now: Date = Date()) throws(StoreError) {
        try write { db in
            if let value {
                try db.execute(
                    sql: "INSERT INTO runtime_settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    arguments: [key.rawValue, value, now])
            } else {
                try db.execute(sql: "DELETE FROM runtime_settings WHERE key = ?", arguments: [key.rawValue])
            }
        }
    }

    /// Appends to the error log (secrets in `message` scrubbed).
    public func logError(source: String, kind: String?, message: String, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT INTO error_log (source, kind, message, created_at) VALUES (?, ?, ?, ?)", arguments: [source, kind, Redactor.shared.scrub(message), now])
        }
    }

    /// The newest error log entries, newest first.
    public func recentErrors(limit: Int) throws(StoreError) -> [(source: String, kind: String?, message: String, at: Date)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT source, kind, message, created_at FROM error_log ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                (source: $0["source"], kind: $0["kind"], message: $0["message"], at: $0["created_at"])
            }
        }
    }
}
