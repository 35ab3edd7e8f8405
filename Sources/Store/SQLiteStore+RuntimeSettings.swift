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
    public func logError(source: String, kind: String?, message: String, request: String? = nil, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO error_log (source, kind, message, request_id, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [source, kind, Redactor.shared.scrub(message), request, now])
        }
    }

    /// The newest error log entries, newest first.
    public func recentErrors(limit: Int) throws(StoreError) -> [ErrorLogEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT source, kind, message, request_id, created_at FROM error_log ORDER BY id DESC LIMIT ?", arguments: [limit]).map(ErrorLogEntry.init)
        }
    }

    /// The error log's lines about one request, oldest first.
    public func errors(ofRequest request: String) throws(StoreError) -> [ErrorLogEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT source, kind, message, request_id, created_at FROM error_log WHERE request_id = ? ORDER BY id", arguments: [request]).map(ErrorLogEntry.init)
        }
    }
}

/// One line of the error log.
public struct ErrorLogEntry: Sendable, Hashable {
    public var source: String
    public var kind: String?
    public var message: String
    /// The request it is about, when it is about one.
    public var request: String?
    public var at: Date

    init(_ row: Row) {
        source = row["source"]
        kind = row["kind"]
        message = row["message"]
        request = row["request_id"]
        at = row["created_at"]
    }
}
