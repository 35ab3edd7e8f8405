public import Foundation
import GRDB

extension SQLiteStore {
    /// The getUpdates offset confirmed so far (`nil` before the first run).
    public func telegramOffset() throws(StoreError) -> Int64? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM telegram_state WHERE key = 'offset'").flatMap(Int64.init) }
    }

    /// Records a handled update (and takes it out of the inbox), in one transaction; the request
    /// that answered it and the parts delivered are kept with it (for `switchboard trace`).
    public func markUpdateProcessed(_ updateID: Int64, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO processed_updates (update_id, processed_at, request_id, delivered_parts)
                    SELECT ?, ?, request_id, delivered_parts FROM telegram_inbox WHERE update_id = ?
                    UNION ALL SELECT ?, ?, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM telegram_inbox WHERE update_id = ?)
                    """,
                arguments: [updateID, now, updateID, updateID, now, updateID])
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
    ///
    /// `unreadable` updates (ones the bot cannot decode) are quarantined in the same transaction:
    /// kept raw with the reason, logged, and confirmed, so that they never block the others.
    public func storeIncomingUpdates(
        _ updates: [(updateID: Int64, payload: Data)], unreadable: [UnreadableUpdate] = [], offset: Int64? = nil, at now: Date = Date()
    ) throws(StoreError) -> [Int64] {
        try write { db in
            var stored: [Int64] = []
            for (id, payload) in updates {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM processed_updates WHERE update_id = ?", arguments: [id]) == true { continue }
                try db.execute(sql: "INSERT OR IGNORE INTO telegram_inbox (update_id, payload, received_at) VALUES (?, ?, ?)", arguments: [id, payload, now])
                if db.changesCount > 0 { stored.append(id) }
            }
            for update in unreadable {
                try Self.quarantine(update.updateID, payload: update.payload, reason: "unreadable: " + update.reason, attempts: 0, in: db, at: now)
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

    /// Counts one more start of handling `updateID` and returns how many there were, this one
    /// included: more than one means the process stopped while handling it before.
    public func beginHandling(_ updateID: Int64, request: String? = nil) throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "UPDATE telegram_inbox SET attempts = attempts + 1, request_id = COALESCE(?, request_id) WHERE update_id = ?", arguments: [request, updateID])
            return try Int.fetchOne(db, sql: "SELECT attempts FROM telegram_inbox WHERE update_id = ?", arguments: [updateID]) ?? 1
        }
    }

    /// A small write of the kind the bot makes for every update: whether the database can record
    /// progress now (a full disk, a file made read-only or damaged cannot).
    public func probeWrite(at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO telegram_state (key, value) VALUES ('write_probe', ?)", arguments: [StoredValues.text(now)])
        }
    }

    /// Takes back the attempt counted by ``beginHandling(_:)`` for an update whose handling was
    /// stopped on purpose (a graceful shutdown), so it is not mistaken for a crash.
    public func endHandlingUnfinished(_ updateID: Int64) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE telegram_inbox SET attempts = MAX(0, attempts - 1) WHERE update_id = ?", arguments: [updateID])
        }
    }

    /// Puts an update of the inbox aside (kept with `reason`, logged, marked processed): it is
    /// never answered automatically again.
    public func quarantineUpdate(_ updateID: Int64, reason: String, at now: Date = Date()) throws(StoreError) {
        try write { db in
            let row = try Row.fetchOne(db, sql: "SELECT payload, attempts FROM telegram_inbox WHERE update_id = ?", arguments: [updateID])
            try Self.quarantine(updateID, payload: row?["payload"] ?? Data(), reason: reason, attempts: row?["attempts"] ?? 0, in: db, at: now)
        }
    }

    /// The updates put aside, newest first.
    public func quarantinedUpdates(limit: Int = 100) throws(StoreError) -> [QuarantinedUpdate] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT update_id, payload, reason, attempts, quarantined_at FROM telegram_quarantine ORDER BY quarantined_at DESC, update_id DESC LIMIT ?", arguments: [limit]).map {
                QuarantinedUpdate(updateID: $0["update_id"], payload: $0["payload"], reason: $0["reason"], attempts: $0["attempts"], at: $0["quarantined_at"])
            }
        }
    }

    private static func quarantine(_ id: Int64, payload: Data, reason: String, attempts: Int, in db: Database, at now: Date) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO telegram_quarantine (update_id, payload, reason, attempts, quarantined_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, payload, reason, attempts, now])
        try db.execute(sql: "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)", arguments: [id, now])
        try db.execute(sql: "DELETE FROM telegram_inbox WHERE update_id = ?", arguments: [id])
        try db.execute(
            sql: "INSERT INTO error_log (source, kind, message, created_at) VALUES ('telegram', 'quarantined', ?, ?)",
            arguments: ["update \(id) put aside (\(reason)); kept in telegram_quarantine", now])
    }

    // MARK: Delivery journal

    /// Records the message showing an update's answer while it is generated (a group preview),
    /// so that after a restart the answer replaces it instead of appearing a second time.
    public func recordPreviewMessage(_ updateID: Int64, _ messageID: Int) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE telegram_inbox SET preview_message = ? WHERE update_id = ?", arguments: [messageID, updateID])
        }
    }

    /// Records the final text of an update's answer before it is sent, so that a restart sends
    /// that text (the parts not yet accepted) rather than asking a model again.
    public func recordAnswer(_ updateID: Int64, text: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE telegram_inbox SET answer = ?, delivered_parts = 0 WHERE update_id = ?", arguments: [text, updateID])
        }
    }

    /// Records that Telegram accepted the first `parts` messages of the answer.
    public func recordDeliveredParts(_ updateID: Int64, _ parts: Int) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE telegram_inbox SET delivered_parts = ? WHERE update_id = ?", arguments: [parts, updateID])
        }
    }

    /// What was recorded of an update's answer so far (`nil`: nothing yet).
    public func deliveryRecord(_ updateID: Int64) throws(StoreError) -> DeliveryRecord? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT answer, preview_message, delivered_parts FROM telegram_inbox WHERE update_id = ? AND (answer IS NOT NULL OR preview_message IS NOT NULL)", arguments: [updateID]) else { return nil }
            return DeliveryRecord(answer: row["answer"], previewMessage: row["preview_message"], deliveredParts: row["delivered_parts"])
        }
    }
}

/// An update the bot could not decode, as received.
public struct UnreadableUpdate: Sendable, Hashable {
    public let updateID: Int64
    public let payload: Data
    public let reason: String

    public init(updateID: Int64, payload: Data, reason: String) {
        self.updateID = updateID
        self.payload = payload
        self.reason = reason
    }
}

/// An update put aside: unreadable, or its handling stopped the process more than once.
public struct QuarantinedUpdate: Sendable, Hashable {
    public let updateID: Int64
    public let payload: Data
    public let reason: String
    public let attempts: Int
    public let at: Date
}

/// What of an update's answer reached Telegram: the preview message showing it, its final text
/// once known, and how many of the text's parts Telegram accepted.
public struct DeliveryRecord: Sendable, Hashable {
    public let answer: String?
    public let previewMessage: Int?
    public let deliveredParts: Int

    public init(answer: String?, previewMessage: Int?, deliveredParts: Int) {
        self.answer = answer
        self.previewMessage = previewMessage
        self.deliveredParts = deliveredParts
    }
}

/// What Telegram's side of one request was: the update it answered and how far delivery got.
public struct TelegramDelivery: Sendable, Hashable {
    public var updateID: Int64
    public var receivedAt: Date?
    /// When the update was marked answered (`nil`: still in the inbox).
    public var processedAt: Date?
    public var deliveredParts: Int
    public var attempts: Int?
}

extension SQLiteStore {
    /// The update `request` answered, from the inbox or (for two days) the processed updates.
    public func telegramDelivery(ofRequest request: String) throws(StoreError) -> TelegramDelivery? {
        try read { db in
            if let row = try Row.fetchOne(db, sql: "SELECT update_id, received_at, delivered_parts, attempts FROM telegram_inbox WHERE request_id = ?", arguments: [request]) {
                return TelegramDelivery(updateID: row["update_id"], receivedAt: row["received_at"], processedAt: nil, deliveredParts: row["delivered_parts"], attempts: row["attempts"])
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT update_id, processed_at, delivered_parts FROM processed_updates WHERE request_id = ?", arguments: [request]) else { return nil }
            return TelegramDelivery(updateID: row["update_id"], receivedAt: nil, processedAt: row["processed_at"], deliveredParts: row["delivered_parts"] ?? 0, attempts: nil)
        }
    }
}
