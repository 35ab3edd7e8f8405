public import Assistant
public import Core
import Foundation
public import Gateway
import Logging
public import Store

/// The bot: long-polling intake, access control, commands, one answer at a time per chat (later
/// messages wait their turn, in order), streamed replies within Telegram's limits.
///
/// An update is confirmed (the stored offset moves past it) only once it has been answered and
/// recorded, so a crash neither loses nor doubles an answer: unconfirmed updates come back and
/// ones already recorded are skipped.
public final class TelegramBot: Sendable {
    /// Seconds a getUpdates call waits at Telegram for news.
    public static let pollTimeout = 25
    /// Messages one person may send per minute before being asked to slow down.
    public static let userMessagesPerMinute = 20

    let api: BotAPI
    let assistant: Assistant
    let gateway: Gateway
    let store: SQLiteStore
    let settings: Settings
    let bus: EventBus<Event>
    let access: AccessPolicy
    let flood = FloodControl()
    let chats = ChatQueues()
    let tracker = UpdateTracker()
    let limiter = UserRateLimiter(perMinute: TelegramBot.userMessagesPerMinute)
    let blocked = BlockedChats()
    let logger = Logger(label: "switchboard.telegram")

    public init(api: BotAPI, assistant: Assistant, gateway: Gateway, store: SQLiteStore, settings: Settings, bus: EventBus<Event>) {
        self.api = api
        self.assistant = assistant
        self.gateway = gateway
        self.store = store
        self.settings = settings
        self.bus = bus
        self.access = AccessPolicy(allowed: settings.telegram.allowedUsers, admins: settings.telegram.adminUsers)
    }

    /// Polls and answers until the task is cancelled; throws only when the token is refused.
    public func run() async throws(BotAPIError) {
        var me: TelegramUser?
        var wait = 1.0
        // Telegram unreachable at start is waited out; only a refused token ends the bot.
        while me == nil && !Task.isCancelled {
            do {
                me = try await startUp()
            } catch where error.kind != .unauthorized {
                logger.warning("Telegram not reachable; retrying", metadata: ["reason": "\(error)", "in": "\(Int(wait)) s"])
                try? await Task.sleep(for: .seconds(wait))
                wait = min(60, wait * 2)
            }
        }
        guard let me else { return }
        var offset = (try? store.telegramOffset()) ?? nil
        var backoff = 1.0
        while !Task.isCancelled {
            do {
                let updates = try await api.getUpdates(offset: offset, timeout: Self.pollTimeout)
                backoff = 1
                for update in updates where await tracker.begin(update.update_id) {
                    if (try? store.isUpdateProcessed(update.update_id)) == true {
                        await confirm(update.update_id)
                        continue
                    }
                    await dispatch(update, me: me)
                }
                offset = await tracker.nextOffset(after: updates.last?.update_id)
            } catch {
                switch error.kind {
                case .unauthorized:
                    throw error
                case .conflict:
                    let message = "another bot instance polls this token (or a webhook is set): \(error.message); retrying in 30 s"
                    logger.error("\(message)")
                    bus.publish(.alert(Alert(severity: .critical, message: "Telegram: " + message, at: Date())))
                    try? await Task.sleep(for: .seconds(30))
                case .rateLimited:
                    try? await Task.sleep(for: .seconds(error.retryAfter ?? 5))
                default:
                    logger.warning("getUpdates failed; retrying", metadata: ["reason": "\(error)", "in": "\(Int(backoff)) s"])
                    try? await Task.sleep(for: .seconds(backoff))
                    backoff = min(30, backoff * 2)
                }
            }
        }
    }

    /// Checks the token, removes any webhook (polling and webhooks exclude each other) and
    /// registers the commands.
    func startUp() async throws(BotAPIError) -> TelegramUser {
        let me = try await api.getMe()
        try await api.deleteWebhook()
        try? await api.setMyCommands(BotCommands.menu)
        logger.notice("telegram bot started", metadata: ["bot": "@\(me.username ?? "?")"])
        return me
    }

    /// Queues the update on its chat, so a chat's messages are answered one after another.
    func dispatch(_ update: TelegramUpdate, me: TelegramUser) async {
        guard let message = update.message, let chat = Optional(message.chat.id) else {
            // Edits, channel posts and other kinds are not answered.
            await confirm(update.update_id)
            return
        }
        await chats.enqueue(chat: chat) { [self] in
            await handle(message, me: me)
            await confirm(update.update_id)
        }
    }

    func confirm(_ updateID: Int64) async {
        let offset = await tracker.finish(updateID)
        do {
            try store.markUpdateProcessed(updateID, offset: offset)
        } catch {
            logger.error("could not record a handled update", metadata: ["update": "\(updateID)", "reason": "\(error)"])
        }
    }

    /// Waits for the answers in flight to be delivered, up to `deadline` (a graceful stop).
    public func finishInFlight(within deadline: Duration) async {
        await chats.drain(within: deadline)
    }

    /// One message: access, group etiquette, commands, rate limit, then the answer.
    func handle(_ message: TelegramMessage, me: TelegramUser) async {
        let chat = message.chat
        // A chat whose user blocked the bot gets nothing until they write again (which unblocks).
        await blocked.unblock(chat.id)
        let isPrivate = chat.type == "private"
        let user = message.from?.id ?? chat.id
        guard let rawText = message.text else {
            if isPrivate { await reply(chat: chat, "I can only read text messages for now.", replyTo: message.message_id) }
            return
        }
        guard access.permits(user: user, chat: chat.id) else {
            if isPrivate { await reply(chat: chat, "Sorry, this bot is private.", replyTo: nil) }
            bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: "refused user \(user) in chat \(chat.id) (not in TELEGRAM_ALLOWED_USERS)", at: Date())))
            return
        }
        let mention = "@" + (me.username ?? "")
        let addressed = isPrivate || rawText.hasPrefix("/") || rawText.contains(mention) || message.reply_to_message?.from?.id == me.id
        guard addressed else { return }
        let text = rawText.replacingOccurrences(of: mention, with: "").trimmingCharacters(in: .whitespacesAndNewlines)

        if text.hasPrefix("/") {
            let answer = await BotCommands.run(text, user: user, chat: chat.id, bot: self)
            await reply(chat: chat, answer, replyTo: isPrivate ? nil : message.message_id)
            return
        }
        guard await limiter.allow(user: user) else {
            await reply(chat: chat, "You're sending messages faster than I can answer — please wait a moment.", replyTo: message.message_id)
            return
        }
        let conversation = ConversationID.telegram(chat: chat.id)
        let sender = message.from?.username.map { "@" + $0 } ?? message.from?.first_name ?? String(user)
        bus.publish(.messageReceived(MessageReceived(request: .make(), conversation: conversation, channel: .telegram, sender: sender, text: text, at: Date())))
        let events = assistant.reply(AssistantRequest(
            conversation: conversation, channel: .telegram, userID: String(user), userName: sender, text: text,
            streaming: settings.features.streaming))
        let streaming = StreamingReply(api: api, flood: flood, chat: chat.id, isPrivate: isPrivate, replyTo: isPrivate ? nil : message.message_id, live: settings.features.streaming, logger: logger, blocked: blocked)
        if let result = await streaming.deliver(events), result.hadErrors {
            // The user saw a short, friendly text; the details go to the error log.
            bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: "chat \(chat.id): \(result.errorDetails.joined(separator: "; "))", at: Date())))
        }
    }

    /// A short bot message (commands, refusals), paced and formatted like an answer.
    func reply(chat: TelegramChat, _ markdown: String, replyTo: Int?) async {
        let streaming = StreamingReply(api: api, flood: flood, chat: chat.id, isPrivate: chat.type == "private", replyTo: replyTo, live: false, logger: logger, blocked: blocked)
        let (events, continuation) = AsyncStream<AssistantEvent>.makeStream()
        continuation.yield(.delta(markdown))
        continuation.finish()
        _ = await streaming.deliver(events)
    }
}

/// One chain of work per chat: a chat's messages are handled in order, chats in parallel.
actor ChatQueues {
    private var tails: [Int64: Task<Void, Never>] = [:]

    func enqueue(chat: Int64, _ work: @escaping @Sendable () async -> Void) {
        let previous = tails[chat]
        tails[chat] = Task {
            await previous?.value
            await work()
        }
    }

    /// Waits for every chain to finish, or for `deadline` to pass.
    func drain(within deadline: Duration) async {
        let pending = Array(tails.values)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in pending { await task.value } }
            group.addTask { try? await Task.sleep(for: deadline) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// Chats whose user blocked the bot (403): nothing more is sent there.
actor BlockedChats {
    private var chats: Set<Int64> = []

    func block(_ chat: Int64) { chats.insert(chat) }
    func unblock(_ chat: Int64) { chats.remove(chat) }
    func contains(_ chat: Int64) -> Bool { chats.contains(chat) }
}

/// Which updates are in hand or done, and the offset that confirms everything handled so far.
///
/// Finished updates are remembered until the offset passes them: Telegram sends an update again
/// until the offset confirms it, and it must not be answered twice.
actor UpdateTracker {
    private var inFlight: Set<Int64> = []
    private var done: Set<Int64> = []
    private var highestSeen: Int64?

    /// Whether `id` is new (neither being handled nor handled).
    func begin(_ id: Int64) -> Bool {
        highestSeen = max(highestSeen ?? id, id)
        guard !done.contains(id) else { return false }
        return inFlight.insert(id).inserted
    }

    /// Marks `id` done; returns the offset to store: just past every finished update.
    func finish(_ id: Int64) -> Int64 {
        inFlight.remove(id)
        done.insert(id)
        return inFlight.min() ?? ((highestSeen ?? id) + 1)
    }

    /// The offset for the next getUpdates: the oldest update still in hand (Telegram sends it
    /// again, and it is skipped), or just past the newest.
    func nextOffset(after last: Int64?) -> Int64? {
        let offset = inFlight.min() ?? (highestSeen ?? last).map { $0 + 1 }
        if let offset { done = done.filter { $0 >= offset } }
        return offset
    }
}

/// Messages per person per minute.
actor UserRateLimiter {
    private let perMinute: Int
    private var recent: [Int64: [Date]] = [:]

    init(perMinute: Int) { self.perMinute = perMinute }

    func allow(user: Int64) -> Bool {
        let now = Date()
        var times = (recent[user] ?? []).filter { now.timeIntervalSince($0) < 60 }
        guard times.count < perMinute else { return false }
        times.append(now)
        recent[user] = times
        return true
    }
}
