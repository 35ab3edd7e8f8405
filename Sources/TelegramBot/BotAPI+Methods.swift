import Core
public import Foundation
public import Store

/// The Bot API types the bot reads (a subset: unknown fields are ignored).
public struct TelegramUser: Codable, Sendable, Hashable {
    public let id: Int64
    public let is_bot: Bool
    public let first_name: String
    public let username: String?
}

public struct TelegramChat: Codable, Sendable, Hashable {
    public let id: Int64
    /// `private`, `group`, `supergroup` or `channel`.
    public let type: String
    public let title: String?
    public let username: String?
}

public struct TelegramMessage: Codable, Sendable, Hashable {
    public let message_id: Int
    public let from: TelegramUser?
    public let chat: TelegramChat
    public let date: Int
    public let text: String?
    public let reply_to_message: ReplyTo?

    /// The message a message answers (one level is enough to see whether it answers the bot).
    public struct ReplyTo: Codable, Sendable, Hashable {
        public let message_id: Int
        public let from: TelegramUser?
    }
}

public struct TelegramUpdate: Codable, Sendable, Hashable {
    public let update_id: Int64
    public let message: TelegramMessage?
    public let edited_message: TelegramMessage?
    public let channel_post: TelegramMessage?
}

/// One getUpdates answer, update by update.
public struct UpdateBatch: Sendable {
    /// The updates decoded, each with its raw JSON (what the inbox keeps).
    public var updates: [(update: TelegramUpdate, raw: Data)] = []
    /// Updates with an id that could not be decoded: stored aside and confirmed.
    public var unreadable: [UnreadableUpdate] = []
    /// Why elements without even a readable `update_id` were not read.
    public var withoutID: [String] = []

    /// The highest update id seen, readable or not: the next offset goes past it.
    public var lastID: Int64? { (updates.map(\.update.update_id) + unreadable.map(\.updateID)).max() }

    /// A decoding error in one line, naming the field (without the content).
    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): missing \(type)"
        case .keyNotFound(let key, let context): return "\(([path(context)] + [key.stringValue]).filter { !$0.isEmpty }.joined(separator: ".")): missing"
        case .dataCorrupted(let context): return "not valid JSON" + (context.codingPath.isEmpty ? "" : " at \(path(context))")
        default: return "\(error)"
        }
    }
}

/// `true` answers (setWebhook, sendChatAction…).
public typealias BotAPIDone = Bool

extension BotAPI {
    /// Links in answers are not expanded into previews.
    static let noPreview: [String: Bool] = ["is_disabled": true]

    /// The update kinds the bot asks for.
    static let allowedUpdates: [String] = ["message", "edited_message", "channel_post"]

    public func getMe() async throws(BotAPIError) -> TelegramUser {
        try await call("getMe")
    }

    /// Long polling: updates after `offset`, waiting up to `timeout` seconds for one.
    ///
    /// The updates are decoded one by one: one that cannot be read comes back in `unreadable`
    /// (with its raw text) and never hides the others.
    public func getUpdates(offset: Int64?, timeout: Int, limit: Int = 100) async throws(BotAPIError) -> UpdateBatch {
        var parameters: [String: any Sendable] = ["timeout": timeout, "limit": limit, "allowed_updates": Self.allowedUpdates]
        if let offset { parameters["offset"] = offset }
        let (scan, result) = try await callForRawResult("getUpdates", parameters, longPoll: .seconds(timeout))
        guard let elements = scan.elements(of: result) else {
            throw BotAPIError(.malformed, message: "getUpdates: the result is not a list of updates")
        }
        var batch = UpdateBatch()
        for element in elements {
            let raw = Data(scan.bytes[element])
            do {
                batch.updates.append((try JSONDecoder().decode(TelegramUpdate.self, from: raw), raw))
            } catch {
                let reason = UpdateBatch.describe(error)
                if let id = scan.integer("update_id", in: element) {
                    batch.unreadable.append(UnreadableUpdate(updateID: id, payload: raw, reason: reason))
                } else {
                    batch.withoutID.append(reason)
                }
            }
        }
        return batch
    }

    public func sendMessage(chatID: Int64, text: String, parseMode: String? = "HTML", replyTo: Int? = nil) async throws(BotAPIError) -> TelegramMessage {
        var parameters: [String: any Sendable] = ["chat_id": chatID, "text": Redactor.shared.scrub(text), "link_preview_options": Self.noPreview]
        if let parseMode { parameters["parse_mode"] = parseMode }
        if let replyTo {
            parameters["reply_to_message_id"] = replyTo
            parameters["allow_sending_without_reply"] = true }
        return try await call("sendMessage", parameters)
    }

    /// Edits a message's text; "message is not modified" counts as done.
    public func editMessageText(chatID: Int64, messageID: Int, text: String, parseMode: String? = "HTML") async throws(BotAPIError) {
        var parameters: [String: any Sendable] = ["chat_id": chatID, "message_id": messageID, "text": Redactor.shared.scrub(text), "link_preview_options": Self.noPreview]
        if let parseMode { parameters["parse_mode"] = parseMode }
        do {
            let _: TelegramMessage = try await call("editMessageText", parameters)
        } catch where error.kind == .notModified {
            return
        }
    }

    /// A live preview of an answer in a private chat (Bot API 9.3+); the same `draftID` animates it.
    public func sendMessageDraft(chatID: Int64, draftID: Int64, text: String, parseMode: String? = "HTML") async throws(BotAPIError) {
        var parameters: [String: any Sendable] = ["chat_id": chatID, "draft_id": draftID, "text": Redactor.shared.scrub(text)]
        if let parseMode { parameters["parse_mode"] = parseMode }
        let _: BotAPIDone = try await call("sendMessageDraft", parameters)
    }

    public func sendChatAction(chatID: Int64, action: String = "typing") async throws(BotAPIError) {
        let _: BotAPIDone = try await call("sendChatAction", ["chat_id": chatID, "action": action])
    }

    public func deleteWebhook(dropPendingUpdates: Bool = false) async throws(BotAPIError) {
        let _: BotAPIDone = try await call("deleteWebhook", ["drop_pending_updates": dropPendingUpdates])
    }

    public func setWebhook(url: String, secretToken: String) async throws(BotAPIError) {
        let _: BotAPIDone = try await call("setWebhook", ["url": url, "secret_token": secretToken, "allowed_updates": Self.allowedUpdates])
    }

    public func setMyCommands(_ commands: [(command: String, description: String)]) async throws(BotAPIError) {
        let list: [[String: String]] = commands.map { ["command": $0.command, "description": $0.description] }
        let _: BotAPIDone = try await call("setMyCommands", ["commands": list])
    }

    /// A member's status in a chat: `creator`, `administrator`, `member`, `restricted`, `left`, `kicked`.
    public func getChatMemberStatus(chatID: Int64, userID: Int64) async throws(BotAPIError) -> String {
        struct Member: Decodable, Sendable { let status: String }
        let member: Member = try await call("getChatMember", ["chat_id": chatID, "user_id": userID])
        return member.status
    }

    public func deleteMessage(chatID: Int64, messageID: Int) async throws(BotAPIError) {
        let _: BotAPIDone = try await call("deleteMessage", ["chat_id": chatID, "message_id": messageID])
    }

    public func answerCallbackQuery(id: String, text: String? = nil) async throws(BotAPIError) {
        var parameters: [String: any Sendable] = ["callback_query_id": id]
        if let text { parameters["text"] = text }
        let _: BotAPIDone = try await call("answerCallbackQuery", parameters)
    }
}
