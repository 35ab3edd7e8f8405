public import Foundation

/// A fake Telegram Bot API on 127.0.0.1: `/bot<token>/<method>` with JSON bodies and the real
/// answer shapes, long polling with a queue of updates, and the checks bots trip over —
/// 4,096 characters, "can't parse entities", "message is not modified" — plus scripted errors
/// (429 with `retry_after`, 403, 409…).
public final class FakeTelegramServer: Sendable {
    /// A message the bot sent (or its last edited text).
    public struct Sent: Sendable, Hashable {
        public let chatID: Int64
        public let messageID: Int
        public var text: String
        public let parseMode: String?
        public var edits: Int
    }

    struct State {
        /// Queued updates as JSON text, sent verbatim (so tests can queue what JSON libraries
        /// refuse to write, like a lone surrogate).
        var updates: [(id: Int64, json: String)] = []
        /// Group admins by chat (getChatMember answers `administrator` for them, `member` else).
        var groupAdmins: [Int64: Set<Int64>] = [:]
        /// Calls of a method to accept before one goes unanswered (``hang(_:afterAccepting:)``).
        var hangs: [String: Int] = [:]
        var nextUpdateID: Int64 = 1
        var nextMessageID = 100
        var sent: [Sent] = []
        var calls: [(method: String, body: [String: Any])] = []
        var faults: [String: [(code: Int, description: String, retryAfter: Int?)]] = [:]
        /// Set by setWebhook: updates are then POSTed there instead of waiting for getUpdates.
        var webhook: (url: String, secret: String?)?
        var webhookStatuses: [Int?] = []
        var limits: Limits?
        var lastVisible: [Int64: ContinuousClock.Instant] = [:]
        var recentVisible: [ContinuousClock.Instant] = []
        var tooManyRequests = 0
        var timeline: [Visible] = []
    }

    /// Telegram's limits, enforced strictly: a message, edit or draft to a chat less than
    /// `perChat` after the previous one, or the 31st in a second, gets 429 with `retry_after`.
    public struct Limits: Sendable {
        public var perChat: Duration
        public var perSecond: Int

        public init(perChat: Duration = .seconds(1), perSecond: Int = 30) {
            self.perChat = perChat
            self.perSecond = perSecond
        }
    }

    /// A text the user could see: a message sent or edited, or a draft shown.
    public struct Visible: Sendable {
        public let chatID: Int64
        public let method: String
        public let text: String
        public let at: ContinuousClock.Instant
    }

    public let token: String
    private let server: FakeHTTPServer
    private let state: StateBox

    /// The base URL to configure as `TELEGRAM_API_BASE_URL`.
    public var baseURL: String { server.baseURL }

    public init(token: String = "123456:TEST-token", limits: Limits? = nil) throws {
        self.token = token
        let state = StateBox()
        state.withLock { $0.limits = limits }
        self.state = state
        server = try FakeHTTPServer { request, writer in
            FakeTelegramServer.answer(request, writer: writer, token: token, state: state)
        }
    }

    public func stop() { server.stop() }

    /// Queues a text message from a user, as Telegram would deliver it: for getUpdates, or POSTed
    /// to the webhook when one is set (again and again, as Telegram does, until it is taken).
    @discardableResult
    public func sendUpdate(text: String, chatID: Int64, userID: Int64, username: String = "user", chatType: String = "private") -> Int64 {
        let (id, update, webhook) = state.withLock { state in
            let id = state.nextUpdateID
            state.nextUpdateID += 1
            state.nextMessageID += 1
            let user: [String: Any] = ["id": userID, "is_bot": false, "first_name": username, "username": username]
            let chat: [String: Any] = ["id": chatID, "type": chatType, "username": username]
            let update: [String: Any] = ["update_id": id, "message": ["message_id": state.nextMessageID, "from": user, "chat": chat, "date": 1_700_000_000, "text": text] as [String: Any]]
            if state.webhook == nil { state.updates.append((id, String(decoding: (try? JSONSerialization.data(withJSONObject: update)) ?? Data(), as: UTF8.self))) }
            return (id, update, state.webhook)
        }
        if let webhook {
            let body = (try? JSONSerialization.data(withJSONObject: update)) ?? Data()
            // On a thread of the fake's own, in order, as Telegram delivers: a blocking POST on
            // the caller's thread held one of the two threads Swift's concurrency pool has here,
            // and two such callers left none for the server to answer them (a 10 s stall of the
            // whole test run).
            deliveries.async { [self] in deliver(body, to: webhook) }
        }
        return id
    }

    /// Queues any update (a photo, an edit, a channel post…): the JSON text of an object with the
    /// fields beside `update_id`, sent verbatim — it may be what Telegram would never send (a lone
    /// surrogate in a text, a number where text belongs).
    @discardableResult
    public func sendRawUpdate(_ json: String) -> Int64 {
        state.withLock { state in
            let id = state.nextUpdateID
            state.nextUpdateID += 1
            let fields = json.drop { $0 != "{" }.dropFirst()
            let rest = fields.drop(while: \.isWhitespace).first == "}" ? String(fields) : ", " + fields
            state.updates.append((id, #"{"update_id": \#(id)"# + rest))
            return id
        }
    }

    /// Webhook deliveries, one at a time.
    private let deliveries = DispatchQueue(label: "fake-telegram-webhook-deliveries")

    /// POSTs an update body to the webhook as Telegram does, with the secret token when one was
    /// set; retries (up to 5 times, 200 ms apart) until it gets a 2xx. Synchronous.
    public func deliver(_ body: Data, to webhook: (url: String, secret: String?), attempts: Int = 5) {
        let headers = webhook.secret.map { [("X-Telegram-Bot-Api-Secret-Token", $0)] } ?? []
        for _ in 0..<attempts {
            let status = LoopbackPost.send(to: webhook.url, headers: headers, body: body)
            state.withLock { $0.webhookStatuses.append(status) }
            if let status, (200..<300).contains(status) { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// The webhook set by the bot (URL and secret token), if any.
    public var webhook: (url: String, secret: String?)? { state.withLock { $0.webhook } }

    /// The status of each webhook delivery attempt, in order (`nil`: nothing answered).
    public var webhookStatuses: [Int?] { state.withLock { $0.webhookStatuses } }

    /// Makes the next call of `method` fail with this error.
    public func fail(_ method: String, code: Int, description: String, retryAfter: Int? = nil) {
        state.withLock { $0.faults[method, default: []].append((code, description, retryAfter)) }
    }

    /// Makes a call of `method` — the next one, or the one after `accepting` more — go
    /// unanswered (and not carried out), as a Telegram that stopped responding does, until the
    /// client hangs up (at most two minutes).
    public func hang(_ method: String, afterAccepting accepting: Int = 0) {
        state.withLock { $0.hangs[method] = accepting }
    }

    /// Makes `user` an admin of the group `chat` (as getChatMember reports it).
    public func makeGroupAdmin(_ user: Int64, of chat: Int64) {
        state.withLock { _ = $0.groupAdmins[chat, default: []].insert(user) }
    }

    /// Messages the bot sent, in order.
    public var sent: [Sent] { state.withLock { $0.sent } }

    /// 429 answers given because the limits were exceeded.
    public var tooManyRequests: Int { state.withLock { $0.tooManyRequests } }

    /// Every text shown, in order (with limits set: the accepted ones).
    public var timeline: [Visible] { state.withLock { $0.timeline } }

    /// The methods called, in order.
    public var calledMethods: [String] { state.withLock { $0.calls.map(\.method) } }

    /// The JSON body of the last call of `method`.
    public func lastBody(_ method: String) -> [String: Any]? {
        state.withLock { $0.calls.last { $0.method == method }?.body }
    }

    static func answer(_ request: FakeHTTPServer.Request, writer: ResponseWriter, token: String, state: StateBox) {
        func reply(_ object: [String: Any], status: Int = 200) {
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
            writer.respond(status: status, headers: [("Content-Type", "application/json")], body: String(decoding: data, as: UTF8.self))
        }
        func error(_ code: Int, _ description: String, retryAfter: Int? = nil) {
            var object: [String: Any] = ["ok": false, "error_code": code, "description": description]
            if let retryAfter { object["parameters"] = ["retry_after": retryAfter] }
            reply(object, status: code)
        }
        let parts = request.path.split(separator: "/")
        guard parts.count == 2, parts[0] == "bot\(token)" else {
            error(404, "Not Found")
            return
        }
        let method = String(parts[1])
        let body = request.json ?? [:]
        let fault: (code: Int, description: String, retryAfter: Int?)? = state.withLock { state in
            state.calls.append((method, body))
            if let accepting = state.hangs[method] {
                state.hangs[method] = accepting == 0 ? nil : accepting - 1
                if accepting == 0 { return (0, "", nil) }
            }
            guard var queue = state.faults[method], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.faults[method] = queue
            return first
        }
        if let fault, fault.code == 0 {
            let deadline = ContinuousClock.now + .seconds(120)
            while writer.peerIsConnected && ContinuousClock.now < deadline { writer.pause(.milliseconds(20)) }
            writer.drop()
            return
        }
        if let fault {
            error(fault.code, fault.description, retryAfter: fault.retryAfter)
            return
        }
        if ["sendMessage", "editMessageText", "sendMessageDraft"].contains(method) {
            let chatID = (body["chat_id"] as? NSNumber)?.int64Value ?? 0
            let wait: Int? = state.withLock { state in
                let now = ContinuousClock.now
                if let limits = state.limits {
                    state.recentVisible.removeAll { now - $0 >= .seconds(1) }
                    if let last = state.lastVisible[chatID], now - last < limits.perChat {
                        state.tooManyRequests += 1
                        return max(1, Int(((limits.perChat - (now - last)) / .seconds(1)).rounded(.up)))
                    }
                    if state.recentVisible.count >= limits.perSecond {
                        state.tooManyRequests += 1
                        return 1
                    }
                    state.lastVisible[chatID] = now
                    state.recentVisible.append(now)
                }
                state.timeline.append(Visible(chatID: chatID, method: method, text: body["text"] as? String ?? "", at: now))
                return nil
            }
            if let wait { return error(429, "Too Many Requests: retry after \(wait)", retryAfter: wait) }
        }
        switch method {
        case "getMe":
            reply(["ok": true, "result": ["id": 42, "is_bot": true, "first_name": "Switchboard", "username": "switchboard_test_bot"]])
        case "getUpdates":
            if state.withLock({ $0.webhook != nil }) {
                return error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
            }
            let offset = (body["offset"] as? NSNumber)?.int64Value ?? 0
            let timeout = (body["timeout"] as? NSNumber)?.doubleValue ?? 0
            let deadline = Date().addingTimeInterval(min(timeout, 30))
            var updates: [String] = []
            repeat {
                updates = state.withLock { state in
                    state.updates.removeAll { $0.id < offset }
                    return state.updates.prefix(100).map(\.json)
                }
                if !updates.isEmpty { break }
                writer.pause(.milliseconds(10))
            } while Date() < deadline
            writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: #"{"ok": true, "result": ["# + updates.joined(separator: ", ") + "]}")
        case "sendMessage", "editMessageText":
            let text = body["text"] as? String ?? ""
            let parseMode = body["parse_mode"] as? String
            let chatID = (body["chat_id"] as? NSNumber)?.int64Value ?? 0
            guard !text.isEmpty else { return error(400, "Bad Request: message text is empty") }
            if parseMode == "HTML" && !htmlIsBalanced(text) {
                return error(400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag")
            }
            guard visibleLength(text, html: parseMode == "HTML") <= 4_096 else { return error(400, "Bad Request: message is too long") }
            if method == "sendMessage" {
                let sent = state.withLock { state -> Sent in
                    state.nextMessageID += 1
                    let sent = Sent(chatID: chatID, messageID: state.nextMessageID, text: text, parseMode: parseMode, edits: 0)
                    state.sent.append(sent)
                    return sent
                }
                reply(["ok": true, "result": ["message_id": sent.messageID, "chat": ["id": chatID, "type": "private"], "date": 1_700_000_000, "text": text] as [String: Any]])
            } else {
                let messageID = (body["message_id"] as? NSNumber)?.intValue ?? 0
                let outcome: String? = state.withLock { state in
                    guard let index = state.sent.firstIndex(where: { $0.chatID == chatID && $0.messageID == messageID }) else { return "Bad Request: message to edit not found" }
                    if state.sent[index].text == text { return "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message" }
                    state.sent[index].text = text
                    state.sent[index].edits += 1
                    return nil
                }
                if let outcome { return error(400, outcome) }
                reply(["ok": true, "result": ["message_id": messageID, "chat": ["id": chatID, "type": "private"], "date": 1_700_000_000, "text": text] as [String: Any]])
            }
        case "getChatMember":
            let chatID = (body["chat_id"] as? NSNumber)?.int64Value ?? 0
            let userID = (body["user_id"] as? NSNumber)?.int64Value ?? 0
            let isAdmin = state.withLock { $0.groupAdmins[chatID]?.contains(userID) ?? false }
            reply(["ok": true, "result": ["status": isAdmin ? "administrator" : "member", "user": ["id": userID, "is_bot": false, "first_name": "member"]] as [String: Any]])
        case "setWebhook":
            guard let url = body["url"] as? String, !url.isEmpty else { return error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook") }
            state.withLock { $0.webhook = (url, body["secret_token"] as? String) }
            reply(["ok": true, "result": true, "description": "Webhook was set"])
        case "deleteWebhook":
            state.withLock { $0.webhook = nil }
            reply(["ok": true, "result": true, "description": "Webhook was deleted"])
        case "sendMessageDraft", "sendChatAction", "setMyCommands", "deleteMessage", "answerCallbackQuery":
            reply(["ok": true, "result": true])
        default:
            error(404, "Not Found: method not found")
        }
    }

    /// Whether every tag is closed in order (what Telegram's entity parser requires).
    static func htmlIsBalanced(_ text: String) -> Bool {
        var stack: [Substring] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0 == "-" }
            if tag.hasPrefix("/") {
                guard stack.last == name else { return false }
                stack.removeLast()
            } else {
                stack.append(name)
            }
            rest = rest[rest.index(after: close)...]
        }
        return stack.isEmpty
    }

    /// Characters Telegram counts: tags removed, entities as one character.
    /// What Telegram counts against its 4,096 limit: UTF-16 code units of the text after entity
    /// parsing (tags gone, `&lt;` one unit), so an emoji counts two.
    static func visibleLength(_ text: String, html: Bool) -> Int {
        guard html else { return text.utf16.count }
        var count = 0
        var inTag = false
        var inEntity = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": inTag = true
            case ">" where inTag: inTag = false
            case "&" where !inTag: inEntity = true; count += 1
            case ";" where inEntity: inEntity = false
            default: if !inTag && !inEntity { count += scalar.utf16.count }
            }
        }
        return count
    }
}

/// The fake's state, shared with its connection threads. `@unchecked Sendable`: every access goes
/// through the lock (the dictionaries hold JSON values, which are not Sendable by type).
final class StateBox: @unchecked Sendable {
    private let lock = NSLock()
    private var state = FakeTelegramServer.State()

    func withLock<T>(_ body: (inout FakeTelegramServer.State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }
}
