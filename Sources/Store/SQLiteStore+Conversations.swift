public import Foundation
import GRDB

/// A stored message of a conversation.
public struct StoredMessage: Sendable, Hashable {
    public var id: Int64
    /// `user` or `assistant`.
    public var role: String
    public var content: String
    public var createdAt: Date

    public init(id: Int64, role: String, content: String, createdAt: Date) {
        self.id = id
        self.role = role
        self.content = content
        self.createdAt = createdAt
    }
}

/// One exchange to append to a conversation: the person's message, the answer, and the usage row
/// of the call that answered (with the reservation it settles), stored together.
public struct Exchange: Sendable {
    public var conversation: String
    /// The channel a conversation created by this exchange belongs to.
    public var channel: String
    public var userMessage: String
    public var answer: String
    public var usage: UsageRecord?
    public var settlingReservation: Int64?
    public var at: Date

    public init(conversation: String, channel: String, userMessage: String, answer: String, usage: UsageRecord? = nil, settlingReservation: Int64? = nil, at: Date) {
        self.conversation = conversation
        self.channel = channel
        self.userMessage = userMessage
        self.answer = answer
        self.usage = usage
        self.settlingReservation = settlingReservation
        self.at = at
    }
}

/// A conversation's long-term state: summary, key facts and analytics.
public struct ConversationRecord: Sendable, Hashable {
    public var id: String
    public var channel: String
    public var persona: String?
    public var summary: String
    /// The id of the newest message the summary covers (0: none).
    public var summarizedThrough: Int64
    /// The id of the newest message key facts were taken from (0: none).
    public var factsThrough: Int64
    public var keyFacts: [String]
    public var messageCount: Int
    public var lastPrunedAt: Date?
    public var sentimentTrend: [Double]
    public var currentPhase: String
    public var currentTopic: String
    /// Display name of the last person who wrote.
    public var lastUser: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, channel: String, persona: String? = nil, summary: String = "", summarizedThrough: Int64 = 0, factsThrough: Int64 = 0, keyFacts: [String] = [], messageCount: Int = 0, lastPrunedAt: Date? = nil, sentimentTrend: [Double] = [], currentPhase: String = "", currentTopic: String = "", lastUser: String = "", createdAt: Date, updatedAt: Date) {
        self.id = id
        self.channel = channel
        self.persona = persona
        self.summary = summary
        self.summarizedThrough = summarizedThrough
        self.factsThrough = factsThrough
        self.keyFacts = keyFacts
        self.messageCount = messageCount
        self.lastPrunedAt = lastPrunedAt
        self.sentimentTrend = sentimentTrend
        self.currentPhase = currentPhase
        self.currentTopic = currentTopic
        self.lastUser = lastUser
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A person's learned personality.
public struct UserProfileRecord: Sendable, Hashable {
    public var userID: String
    /// Trait name → 0…1.
    public var traits: [String: Double]
    public var messageCount: Int
    public var adaptations: Int

    public init(userID: String, traits: [String: Double] = [:], messageCount: Int = 0, adaptations: Int = 0) {
        self.userID = userID
        self.traits = traits
        self.messageCount = messageCount
        self.adaptations = adaptations
    }
}

extension SQLiteStore {
    /// Lists of strings and of numbers in 0…1 (sentiment, traits are clamped): encoding cannot fail.
    static func encode<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "[]"
    }

    /// `nil` for a value that is not what this code writes (the file edited by hand): the
    /// conversation still reads, with that field empty, rather than every reply failing.
    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    static func conversation(_ row: Row) -> ConversationRecord {
        ConversationRecord(
            id: row["id"], channel: row["channel"], persona: row["persona"], summary: row["summary"],
            summarizedThrough: row["summarized_through"], factsThrough: row["facts_through"], keyFacts: decode([String].self, row["key_facts"]) ?? [],
            messageCount: row["message_count"], lastPrunedAt: row["last_pruned_at"],
            sentimentTrend: decode([Double].self, row["sentiment_trend"]) ?? [], currentPhase: row["current_phase"],
            currentTopic: row["current_topic"], lastUser: row["last_user"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    /// The conversation, if it exists.
    public func conversation(_ id: String) throws(StoreError) -> ConversationRecord? {
        try read { db in try Self.fetchConversation(id, in: db) }
    }

    /// The most recently active conversations, newest first.
    public func recentConversations(limit: Int) throws(StoreError) -> [ConversationRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM conversations ORDER BY updated_at DESC LIMIT ?", arguments: [limit]).map(Self.conversation) }
    }

    /// The newest `limit` messages after message `afterID`, oldest first (an index range scan).
    public func recentMessages(conversation: String, limit: Int, after afterID: Int64 = 0) throws(StoreError) -> [StoredMessage] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, role, content, created_at FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id DESC LIMIT ?"),
                arguments: [conversation, afterID, limit]
            ).map { StoredMessage(id: $0["id"], role: $0["role"], content: $0["content"], createdAt: $0["created_at"]) }.reversed()
        }
    }

    /// Messages with ids in `after…through`, oldest first (what a summary must cover).
    public func messages(conversation: String, after afterID: Int64, through lastID: Int64) throws(StoreError) -> [StoredMessage] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, role, content, created_at FROM messages WHERE conversation_id = ? AND id > ? AND id <= ? ORDER BY id", arguments: [conversation, afterID, lastID])
                .map { StoredMessage(id: $0["id"], role: $0["role"], content: $0["content"], createdAt: $0["created_at"]) }
        }
    }

    /// Appends one exchange — the person's message, the answer and the answer's usage row
    /// (replacing its reservation) — and applies `change` to the conversation's stored state and
    /// `profileChange` to the person's profile, in one transaction: a crash keeps all or none.
    ///
    /// The state is read inside the transaction, so what another writer changed meanwhile (a
    /// persona set from the console, a summary written in the background) is kept: a record read
    /// before a reply that took seconds is never saved over a newer one. Returns the new state.
    @discardableResult
    public func recordExchange(
        _ exchange: Exchange, change: (inout ConversationRecord) -> Void, profile: String? = nil,
        profileChange: (inout UserProfileRecord) -> Void = { _ in }
    ) throws(StoreError) -> ConversationRecord {
        try write { db in
            var record = try Self.fetchConversation(exchange.conversation, in: db)
                ?? ConversationRecord(id: exchange.conversation, channel: exchange.channel, createdAt: exchange.at, updatedAt: exchange.at)
            change(&record)
            try Self.upsert(record, in: db)
            let insert = "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)"
            try db.execute(sql: insert, arguments: [exchange.conversation, "user", exchange.userMessage, exchange.at])
            try db.execute(sql: insert, arguments: [exchange.conversation, "assistant", exchange.answer, exchange.at])
            if let usage = exchange.usage {
                try Self.insert(usage, in: db)
                if let reservation = exchange.settlingReservation { try Self.deleteReservations([reservation], in: db) }
            }
            if let profile {
                var stored = try Self.fetchUserProfile(profile, in: db) ?? UserProfileRecord(userID: profile)
                profileChange(&stored)
                try Self.upsert(stored, at: exchange.at, in: db)
            }
            return record
        }
    }

    /// Applies `change` to a conversation's stored state in one transaction (read inside it, so
    /// nothing written meanwhile is lost). A missing conversation is created for `channel`, or
    /// left missing when `channel` is `nil` (it was reset: a late summary must not revive it).
    @discardableResult
    public func updateConversation(_ id: String, creatingFor channel: String? = nil, at now: Date, _ change: (inout ConversationRecord) -> Void) throws(StoreError) -> ConversationRecord? {
        try write { db in
            guard var record = try Self.fetchConversation(id, in: db) ?? channel.map({ ConversationRecord(id: id, channel: $0, createdAt: now, updatedAt: now) }) else {
                return nil
            }
            change(&record)
            try Self.upsert(record, in: db)
            return record
        }
    }

    static func fetchConversation(_ id: String, in db: Database) throws -> ConversationRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE id = ?", arguments: [id]).map(Self.conversation)
    }

    static func upsert(_ c: ConversationRecord, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO conversations (id, channel, persona, summary, summarized_through, facts_through, key_facts, message_count,
                    last_pruned_at, sentiment_trend, current_phase, current_topic, last_user, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET channel = excluded.channel, persona = excluded.persona, summary = excluded.summary,
                    summarized_through = excluded.summarized_through, facts_through = excluded.facts_through, key_facts = excluded.key_facts,
                    message_count = excluded.message_count, last_pruned_at = excluded.last_pruned_at,
                    sentiment_trend = excluded.sentiment_trend, current_phase = excluded.current_phase,
                    current_topic = excluded.current_topic, last_user = excluded.last_user, updated_at = excluded.updated_at
                """,
            arguments: [
                c.id, c.channel, c.persona, c.summary, c.summarizedThrough, c.factsThrough, encode(c.keyFacts), c.messageCount, c.lastPrunedAt,
                encode(c.sentimentTrend), c.currentPhase, c.currentTopic, c.lastUser, c.createdAt, c.updatedAt,
            ])
    }

    /// Forgets a conversation's messages, summary and facts (its persona too).
    public func resetConversation(_ id: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM messages WHERE conversation_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM conversations WHERE id = ?", arguments: [id])
        }
    }

    /// A person's learned personality, if any.
    public func userProfile(_ userID: String) throws(StoreError) -> UserProfileRecord? {
        try read { db in try Self.fetchUserProfile(userID, in: db) }
    }

    static func fetchUserProfile(_ userID: String, in db: Database) throws -> UserProfileRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM user_profiles WHERE user_id = ?", arguments: [userID]).map {
            UserProfileRecord(userID: $0["user_id"], traits: Self.decode([String: Double].self, $0["traits"]) ?? [:], messageCount: $0["message_count"], adaptations: $0["adaptations"])
        }
    }

    static func upsert(_ profile: UserProfileRecord, at now: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO user_profiles (user_id, traits, message_count, adaptations, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(user_id) DO UPDATE SET traits = excluded.traits, message_count = excluded.message_count,
                    adaptations = excluded.adaptations, updated_at = excluded.updated_at
                """,
            arguments: [profile.userID, Self.encode(profile.traits), profile.messageCount, profile.adaptations, now])
    }

    /// Personality adaptations applied across every user.
    public func personalityAdaptations() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(adaptations), 0) FROM user_profiles") ?? 0 }
    }
}
