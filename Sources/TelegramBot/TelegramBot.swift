public import Assistant
public import Core
import Foundation
import Logging
public import Store
import Synchronization

/// The bot: long-polling intake, access control, commands, one answer at a time per chat (later
/// messages wait their turn, in order), streamed replies within Telegram's limits.
///
/// Every update is stored in the inbox when it arrives — before the getUpdates offset moves past
/// it, or before a webhook call is answered — and leaves it, marked processed, once answered. So a
/// crash neither loses an answer (the inbox is answered at the next start) nor doubles one
/// (processed ids are skipped when Telegram delivers again).
public final class TelegramBot: Sendable {
    /// Seconds a getUpdates call waits at Telegram for news.
    public static let pollTimeout = 25
    /// Messages one person may send per minute before being asked to slow down.
    public static let userMessagesPerMinute = 20

    let api: BotAPI
    let assistant: Assistant
    /// The operator's controls (pin, providers, budgets), without the Gateway behind them.
    let controls: any OperatorControls
    let store: SQLiteStore
    let settings: Settings
    let bus: EventBus<Event>
    let access: AccessPolicy
    let flood = FloodControl()
    /// A chat's messages are answered in order, chats in parallel.
    let chats = KeyedQueues<Int64>()
    let tracker = UpdateTracker()
    let limiter = UserRateLimiter(perMinute: TelegramBot.userMessagesPerMinute)
    let refusals = RefusalLimiter(interval: 3_600)
    let blocked = BlockedChats()
    let logger = Logger(label: "switchboard.telegram")
    /// What the bot counted (updates, Telegram's 429s, refused webhook calls), for `/metrics`.
    public let counters = TelegramCounters()
    /// The `secret_token` Telegram must send with every webhook request.
    public let webhookSecret: String
    /// The bot's own user once webhook mode is up; webhook updates wait in the inbox until then.
    private let webhookIdentity = Mutex<TelegramUser?>(nil)

    public init(api: BotAPI, assistant: Assistant, controls: any OperatorControls, store: SQLiteStore, settings: Settings, bus: EventBus<Event>, storageProbeInterval: Duration = .seconds(5)) {
        self.storageProbeInterval = storageProbeInterval
        self.api = api
        self.assistant = assistant
        self.controls = controls
        self.store = store
        self.settings = settings
        self.bus = bus
        self.access = AccessPolicy(allowed: settings.telegram.allowedUsers, admins: settings.telegram.adminUsers)
        self.webhookSecret = settings.telegram.webhookSecret?.value ?? Self.randomSecret()
        Redactor.shared.register([webhookSecret] + settings.secretValues)
    }

    /// Polls and answers until the task is cancelled; throws only when the token is refused.
    public func run() async throws(BotAPIError) {
        guard let me = try await startUpWaitingOutOutages(webhook: nil) else { return }
        await answerInbox(me: me)
        // Unreadable: none, and Telegram sends again what it kept; the inbox answers each update once.
        var offset = (try? store.telegramOffset()) ?? nil
        var backoff = 1.0
        while !Task.isCancelled {
            // Nothing is fetched while nothing could be recorded: Telegram keeps it meanwhile.
            guard await waitForStorage(me: me) else { return }
            do {
                let batch = try await api.getUpdates(offset: offset, timeout: Self.pollTimeout)
                backoff = 1
                for reason in batch.withoutID {
                    reportUnreadable("an update without a readable update_id was dropped: \(reason)")
                }
                guard let last = batch.lastID else { continue }
                let received = batch.updates.map { (updateID: $0.update.update_id, payload: $0.raw) }
                let stored: Set<Int64>
                do {
                    stored = Set(try store.storeIncomingUpdates(received, unreadable: batch.unreadable, offset: last + 1))
                } catch {
                    // Not stored, so not confirmed: Telegram keeps them until this works again.
                    logger.error("could not store received updates; not confirming them", metadata: ["reason": "\(error)"])
                    try? await Task.sleep(for: .seconds(backoff))  // cancelled: the loop's check ends it
                    backoff = min(30, backoff * 2)
                    continue
                }
                offset = last + 1
                counters.record { $0.updates += stored.count + batch.unreadable.count }
                for unreadable in batch.unreadable {
                    reportUnreadable("update \(unreadable.updateID) could not be read (\(unreadable.reason)); kept aside, the others are answered")
                }
                for (update, _) in batch.updates where stored.contains(update.update_id) {
                    await dispatchIfNew(update, me: me)
                }
            } catch {
                if Task.isCancelled { return }
                switch error.kind {
                case .unauthorized:
                    throw error
                case .conflict:
                    let message = "another bot instance polls this token (or a webhook is set): \(error.message); retrying in 30 s"
                    logger.error("\(message)")
                    bus.publish(.alert(Alert(severity: .critical, message: "Telegram: " + message, at: Date())))
                    try? await Task.sleep(for: .seconds(30))  // cancelled: the loop's check ends it
                case .rateLimited:
                    counters.record { $0.rateLimited += 1 }
                    try? await Task.sleep(for: .seconds(error.retryAfter ?? 5))  // cancelled: the loop's check ends it
                default:
                    logger.warning("getUpdates failed; retrying", metadata: ["reason": "\(error)", "in": "\(Int(backoff)) s"])
                    try? await Task.sleep(for: .seconds(backoff))  // cancelled: the loop's check ends it
                    backoff = min(30, backoff * 2)
                }
            }
        }
    }

    /// Webhook mode: registers `url` with Telegram (with ``webhookSecret``), answers the updates
    /// left in the inbox by an earlier run, then those ``receiveWebhook(secretToken:body:)`` hands
    /// over, until the task is cancelled. Throws only when the token is refused.
    ///
    /// The webhook stays registered when the bot stops: Telegram keeps the updates sent meanwhile
    /// and delivers them once the server answers again.
    public func runWebhook(url: String) async throws(BotAPIError) {
        guard let me = try await startUpWaitingOutOutages(webhook: url) else { return }
        // Set before reading the inbox: an update stored from now on is dispatched by
        // `receiveWebhook` itself, one stored before is found in the inbox.
        webhookIdentity.withLock { $0 = me }
        await answerInbox(me: me)
        while !Task.isCancelled {
            // Updates keep arriving (refused with 503 while they cannot be stored); the ones
            // stored but not begun are answered once the database records progress again.
            // Cancelled: the loop's check ends it.
            if storageTrouble != nil { _ = await waitForStorage(me: me) } else { try? await Task.sleep(for: storageProbeInterval) }
        }
    }

    /// What became of one webhook request; ``httpStatus`` is the answer Telegram gets.
    public enum WebhookOutcome: Sendable, Hashable {
        /// Stored and being answered.
        case accepted
        /// Known already (stored or answered): Telegram sent it again.
        case duplicate
        /// The secret token is missing or wrong: not from Telegram.
        case forbidden
        /// Not a Telegram update.
        case malformed
        /// Could not be stored (disk full…): Telegram is asked to deliver it again later.
        case unavailable

        public var httpStatus: Int {
            switch self {
            case .accepted, .duplicate: 200
            case .forbidden: 403
            case .malformed: 400
            case .unavailable: 503
            }
        }
    }

    /// Whether `secretToken` is this bot's webhook secret (compared in constant time). A wrong one
    /// is counted and logged. The HTTP server asks before it reads a request's body, so that a
    /// stranger costs neither memory nor waiting.
    public func acceptsWebhookSecret(_ secretToken: String?) -> Bool {
        guard let secretToken, Self.constantTimeEquals(secretToken, webhookSecret) else {
            counters.record { $0.webhookRejected += 1 }
            logger.warning("webhook request without the right secret token refused")
            return false
        }
        return true
    }

    /// Takes one webhook request: checks the secret token, stores the update (so a crash loses
    /// nothing), and queues it on its chat. Returns at once; the answer follows in the background.
    public func receiveWebhook(secretToken: String?, body: [UInt8]) async -> WebhookOutcome {
        guard acceptsWebhookSecret(secretToken) else { return .forbidden }
        let update: TelegramUpdate
        do {
            update = try JSONDecoder().decode(TelegramUpdate.self, from: Data(body))
        } catch {
            // An update Telegram would send again and again if refused: with an id, it is kept
            // aside and accepted, so the ones after it are delivered.
            let scan = JSONScan(body)
            guard let id = scan.integer("update_id", in: 0..<body.count) else {
                counters.record { $0.webhookRejected += 1 }
                return .malformed
            }
            let reason = UpdateBatch.describe(error)
            do {
                _ = try store.storeIncomingUpdates([], unreadable: [UnreadableUpdate(updateID: id, payload: Data(body), reason: reason)])
            } catch {
                logger.error("could not store an unreadable webhook update; Telegram will deliver it again", metadata: ["update": "\(id)", "reason": "\(error)"])
                return .unavailable
            }
            reportUnreadable("webhook update \(id) could not be read (\(reason)); kept aside")
            return .accepted
        }
        do {
            guard try store.storeIncomingUpdates([(update.update_id, Data(body))]) == [update.update_id] else { return .duplicate }
        } catch {
            logger.error("could not store a webhook update; Telegram will deliver it again", metadata: ["update": "\(update.update_id)", "reason": "\(error)"])
            bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: "webhook update \(update.update_id) not stored: \(error)", at: Date())))
            return .unavailable
        }
        counters.record { $0.updates += 1 }
        if let me = webhookIdentity.withLock({ $0 }) {
            await dispatchIfNew(update, me: me)
        }
        return .accepted
    }

    /// An update that could not be read: logged and shown on the console (the store kept it).
    private func reportUnreadable(_ message: String) {
        logger.error("\(message)")
        bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: message, at: Date())))
    }

    /// Answers what an earlier run received but did not answer (it stopped or crashed first).
    func answerInbox(me: TelegramUser) async {
        do {
            for (id, payload) in try store.pendingUpdates() {
                if let update = try? JSONDecoder().decode(TelegramUpdate.self, from: payload) {
                    await dispatchIfNew(update, me: me)
                } else {
                    await confirm(id)  // unreadable: nothing to answer, and it must not come back
                }
            }
        } catch {
            // Read again, and answered, once the database can be used (see `waitForStorage`).
            reportStorageFailure(error, while: "reading the inbox of received updates")
        }
    }

    /// Dispatches `update` unless it is in hand already or answered (the inbox and the webhook
    /// can hand over the same update once, at start).
    func dispatchIfNew(_ update: TelegramUpdate, me: TelegramUser) async {
        guard await tracker.begin(update.update_id) else { return }
        do {
            if try store.isUpdateProcessed(update.update_id) {
                await tracker.finish(update.update_id)
                return
            }
        } catch {
            // Unknown whether it was answered: not answered again now. It stays in the inbox,
            // answered once the database can be used again.
            reportStorageFailure(error, while: "checking whether update \(update.update_id) was answered")
            await tracker.finish(update.update_id)
            return
        }
        await dispatch(update, me: me)
    }

    /// Starts the bot, waiting out a Telegram that cannot be reached (1, 2, 4… up to 60 s);
    /// `nil` when cancelled first. Only a refused token is thrown.
    private func startUpWaitingOutOutages(webhook: String?) async throws(BotAPIError) -> TelegramUser? {
        var wait = 1.0
        while !Task.isCancelled {
            do {
                return try await startUp(webhook: webhook)
            } catch where error.kind != .unauthorized {
                logger.warning("Telegram not reachable; retrying", metadata: ["reason": "\(error)", "in": "\(Int(wait)) s"])
                try? await Task.sleep(for: .seconds(wait))  // cancelled: the loop's check ends it
                wait = min(60, wait * 2)
            }
        }
        return nil
    }

    /// Checks the token, sets the webhook or removes any (polling and webhooks exclude each
    /// other) and registers the commands.
    func startUp(webhook: String?) async throws(BotAPIError) -> TelegramUser {
        let me = try await api.getMe()
        if let webhook {
            try await api.setWebhook(url: webhook, secretToken: webhookSecret)
        } else {
            try await api.deleteWebhook()
        }
        try? await api.setMyCommands(BotCommands.menu)  // the command menu is a convenience: the commands work without it
        logger.notice("telegram bot started", metadata: ["bot": "@\(me.username ?? "?")", "intake": "\(webhook == nil ? "long polling" : "webhook")"])
        return me
    }

    /// 48 characters of Telegram's secret_token alphabet.
    static func randomSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        var generator = SystemRandomNumberGenerator()
        return String((0..<48).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Compares without stopping at the first difference, so timing tells nothing of the secret.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Queues the update on its chat, so a chat's messages are answered one after another.
    func dispatch(_ update: TelegramUpdate, me: TelegramUser) async {
        guard let message = update.message, let chat = Optional(message.chat.id) else {
            // Edits, channel posts and other kinds are not answered.
            await confirm(update.update_id)
            return
        }
        chats.enqueue(chat) { [self] in
            // Stopping: not begun, so left in the inbox (with no attempt counted) for the next start.
            guard !isStopping, storageTrouble == nil else {
                await tracker.finish(update.update_id)
                return
            }
            // The answer's request id, made at intake: the inbox row, events, usage rows and
            // error-log lines of this answer all carry it (`switchboard trace ID`).
            let request = RequestID.make()
            guard await startHandling(update.update_id, message, request: request) else { return }
            if await handle(message, update: update.update_id, request: request, me: me) == .delivered {
                await confirm(update.update_id)
            } else {
                // Telegram stayed unreachable, or the stop cancelled the answer: the inbox keeps
                // it, and what was accepted.
                if (Task.isCancelled && isStopping) || storageTrouble != nil {
                    // A deliberate stop or a database that could not be read is not a crash: the
                    // attempt does not count toward putting the update aside. Should this write
                    // fail too, the attempt counts: three are allowed.
                    try? store.endHandlingUnfinished(update.update_id)
                }
                await tracker.finish(update.update_id)
            }
        }
    }

    /// Handling an update may begin at most this often: one more means the process stopped
    /// during it twice already (a crash, kill -9), and trying again would likely stop it again
    /// — and pay the provider again — on every restart.
    static let maxHandlingAttempts = 2

    /// Counts the start of handling `updateID`; `false` when it was put aside instead (kept in the
    /// quarantine, logged, shown on the console, the sender told).
    private func startHandling(_ updateID: Int64, _ message: TelegramMessage, request: RequestID) async -> Bool {
        let chat = message.chat
        let attempts: Int
        do {
            attempts = try store.beginHandling(updateID, request: request.rawValue)
        } catch {
            // Not answered: without a record of it, every restart would answer it again. It
            // stays in the inbox until the database can record progress.
            reportStorageFailure(error, while: "counting the start of update \(updateID)")
            await tracker.finish(updateID)
            return false
        }
        guard attempts > Self.maxHandlingAttempts else { return true }
        let reason = "the process stopped while handling it \(attempts - 1) times"
        do {
            try store.quarantineUpdate(updateID, reason: reason)
        } catch {
            logger.error("could not put an update aside", metadata: ["update": "\(updateID)", "reason": "\(error)"])
        }
        await tracker.finish(updateID)
        let report = "update \(updateID) in chat \(chat.id) put aside: \(reason); kept in telegram_quarantine"
        logger.critical("\(report)")
        bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: report, at: Date())))
        bus.publish(.alert(Alert(severity: .critical, message: "Telegram: " + report, at: Date())))
        if access.permits(user: message.from?.id ?? chat.id, chat: chat.id) {
            await reply(chat: chat, "Sorry — I could not answer this message. The operator has been told.", replyTo: message.message_id)
        }
        return false
    }

    func confirm(_ updateID: Int64) async {
        await tracker.finish(updateID)
        do {
            try store.markUpdateProcessed(updateID)
        } catch {
            // Delivered but not recorded: the delivery journal keeps a restart from sending it
            // twice when it could be written; either way nothing more is taken until this works.
            reportStorageFailure(error, while: "confirming update \(updateID)")
        }
    }

    /// A graceful stop: no new update is started (those queued stay in the inbox for the next
    /// start), the answers in flight get until `deadline` to be delivered, and the rest are then
    /// cancelled — their handling attempt given back, so the next start answers them as new.
    /// Returns whether everything in flight finished in time.
    @discardableResult
    public func finishInFlight(within deadline: Duration) async -> Bool {
        stopping.store(true, ordering: .releasing)
        guard await !chats.drain(within: deadline) else { return true }
        logger.warning("answers still in flight after the shutdown deadline: cancelled; their updates stay in the inbox", metadata: ["deadline": "\(deadline)"])
        chats.cancelAll()
        // Cancelled answers end at their next await (the stream closes, sends stop); a short wait
        // lets them give their attempts back and settle what they spent.
        _ = await chats.drain(within: .seconds(2))
        return false
    }

    /// Waits until every update handed over so far is handled, up to `deadline`, without stopping.
    func waitUntilIdle(within deadline: Duration) async {
        _ = await chats.drain(within: deadline)
    }

    /// Why the database cannot record progress now (nil while it can). Set when counting the
    /// start of an answer or confirming one fails: no update is then begun or fetched — answering
    /// without a record would answer the same message again on every restart — until a probe
    /// write succeeds (every ``storageProbeInterval``); `/healthz` and the console say so.
    private let storageFailure = Mutex<String?>(nil)
    /// How often a bot whose database failed tries a write again.
    let storageProbeInterval: Duration

    private let probes = Atomic<Int>(0)
    /// Probe writes tried since the start (for tests and the curious).
    var storageProbes: Int { probes.load(ordering: .relaxed) }

    /// The database's trouble, when it cannot record progress.
    public var storageTrouble: String? { storageFailure.withLock { $0 } }

    func reportStorageFailure(_ error: StoreError, while doing: String) {
        let first = storageFailure.withLock { failure -> Bool in
            defer { failure = error.message }
            return failure == nil
        }
        guard first else { return }
        let message = "the database cannot record progress (\(doing): \(error.message)); not taking updates until it can — they wait at Telegram or in the inbox"
        logger.critical("\(message)")
        bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: message, at: Date())))
        bus.publish(.alert(Alert(severity: .critical, message: "Telegram: " + message, at: Date())))
    }

    /// Waits while the database cannot record progress, probing it; true once it can again
    /// (false when cancelled first).
    func waitForStorage(me: TelegramUser) async -> Bool {
        guard storageTrouble != nil else { return true }
        while !Task.isCancelled {
            try? await Task.sleep(for: storageProbeInterval)  // cancelled: the loop's check ends it
            probes.add(1, ordering: .relaxed)
            do {
                try store.probeWrite()
                _ = try store.pendingUpdates()  // and can read what waits
            } catch {
                storageFailure.withLock { $0 = error.message }
                continue
            }
            storageFailure.withLock { $0 = nil }
            logger.notice("the database records progress again; answering what waited")
            bus.publish(.alert(Alert(severity: .info, message: "Telegram: the database records progress again", at: Date())))
            await answerInbox(me: me)
            return true
        }
        return false
    }

    /// Set by ``finishInFlight(within:)``: queued updates are left for the next start.
    private let stopping = Atomic<Bool>(false)

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// One message: access, group etiquette, commands, rate limit, then the answer — or, when an
    /// earlier run got as far as a final text, the parts of it Telegram has not accepted yet.
    func handle(_ message: TelegramMessage, update: Int64, request: RequestID, me: TelegramUser) async -> StreamingReply.Outcome {
        let chat = message.chat
        // A chat whose user blocked the bot gets nothing until they write again (which unblocks).
        await blocked.unblock(chat.id)
        let isPrivate = chat.type == "private"
        let user = message.from?.id ?? chat.id
        // Strangers get nothing but, in private, one short refusal an hour: no reply that says
        // what the bot does, no work, no model call.
        guard access.permits(user: user, chat: chat.id) else {
            if isPrivate, await refusals.shouldTell(user) {
                await reply(chat: chat, "Sorry, this bot is private.", replyTo: nil)
                bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: "refused user \(user) in chat \(chat.id) (not in TELEGRAM_ALLOWED_USERS)", at: Date())))
            }
            return .delivered
        }
        guard let rawText = message.text else {
            if isPrivate { await reply(chat: chat, "I can only read text messages for now.", replyTo: message.message_id) }
            return .delivered
        }
        let username = me.username ?? ""
        let addressing = Addressing(text: rawText, botUsername: username)
        if case .otherBot = addressing.command { return .delivered }  // `/help@otherbot`
        let addressed = isPrivate || addressing.command != nil || addressing.mentionsBot || message.reply_to_message?.from?.id == me.id
        guard addressed else { return .delivered }
        let text = addressing.textWithoutMentions

        if text.hasPrefix("/") {
            let answer = await BotCommands.run(text, user: user, chat: chat.id, bot: self)
            await reply(chat: chat, answer, replyTo: isPrivate ? nil : message.message_id)
            return .delivered
        }
        let journal = DeliveryJournal(updateID: update, store: store, logger: logger)
        var streaming = StreamingReply(api: api, flood: flood, chat: chat.id, isPrivate: isPrivate, replyTo: isPrivate ? nil : message.message_id, live: settings.features.streaming, logger: logger, blocked: blocked, counters: counters)
        streaming.journal = journal
        let record: DeliveryRecord?
        do {
            record = try store.deliveryRecord(update)
        } catch {
            // Unknown what an earlier run sent: nothing is sent rather than something twice.
            reportStorageFailure(error, while: "reading what was sent for update \(update)")
            return .undelivered
        }
        if let record, let answer = record.answer {
            logger.notice("sending the rest of an answer an earlier run did not finish", metadata: ["update": "\(update)", "parts delivered": "\(record.deliveredParts)"])
            return await streaming.resume(answer, previewMessage: record.previewMessage, deliveredParts: record.deliveredParts)
        }
        guard await limiter.allow(user: user) else {
            await reply(chat: chat, "You're sending messages faster than I can answer — please wait a moment.", replyTo: message.message_id)
            return .delivered
        }
        let conversation = ConversationID.telegram(chat: chat.id)
        let sender = message.from?.username.map { "@" + $0 } ?? message.from?.first_name ?? String(user)
        bus.publish(.messageReceived(MessageReceived(request: request, conversation: conversation, channel: .telegram, sender: sender, text: text, at: Date())))
        logger.debug("answering", metadata: ["request": "\(request)", "update": "\(update)", "chat": "\(chat.id)"])
        let events = assistant.reply(AssistantRequest(
            id: request, conversation: conversation, channel: .telegram, userID: String(user), userName: sender, text: text,
            streaming: settings.features.streaming))
        let (result, outcome) = await streaming.deliver(events, preview: record?.previewMessage)
        if let result, result.hadErrors {
            // The user saw a short, friendly text; the details go to the error log.
            bus.publish(.errorLogged(ErrorLogged(source: "telegram", message: "chat \(chat.id): \(result.errorDetails.joined(separator: "; "))", request: request, at: Date())))
        }
        return outcome
    }

    /// A short bot message (commands, refusals), paced and formatted like an answer.
    func reply(chat: TelegramChat, _ markdown: String, replyTo: Int?) async {
        let streaming = StreamingReply(api: api, flood: flood, chat: chat.id, isPrivate: chat.type == "private", replyTo: replyTo, live: false, logger: logger, blocked: blocked, counters: counters)
        let (events, continuation) = AsyncStream<AssistantEvent>.makeStream()
        continuation.yield(.delta(markdown))
        continuation.finish()
        _ = await streaming.deliver(events)
    }
}
