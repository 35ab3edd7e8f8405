public import Foundation
import Core

/// Keeps the bot within Telegram's limits: about one message a second per chat, 20 a minute per
/// group (one every 3 s), 30 a second overall; after a 429 the chat (or, for a global flood,
/// every chat) waits `retry_after`. Callers `await` their turn; nothing is dropped.
public actor FloodControl {
    /// Telegram's guidance (shared/reference/telegram.md), counted from when Telegram answered the
    /// chat's previous call (``answered(chat:isGroup:)``): Telegram measures when calls arrive, and
    /// its answer leaves after it measured, so a call sent an interval later cannot arrive early
    /// however the network spaces them (counted from the send, a strict fake at exactly 1 s
    /// answered one 429 per chat).
    public static let privateInterval: TimeInterval = 1
    public static let groupInterval: TimeInterval = 3
    public static let globalPerSecond = 30

    /// When each chat may receive its next message, and until when a 429 pauses it. A time in
    /// the past holds nobody back, so chats whose times have passed are forgotten.
    private var nextAllowed = ForgetfulDictionary<Int64, Date>()
    private var pausedUntil = ForgetfulDictionary<Int64, Date>()
    private var globalPausedUntil = Date.distantPast
    private var recent: [Date] = []
    private let sleep: @Sendable (TimeInterval) async -> Void
    private let now: @Sendable () -> Date

    /// `sleep` and `now` are the real ones unless a test drives time itself.
    public init(
        // Cancelled: returns early, and the waiting call checks cancellation itself.
        sleep: @escaping @Sendable (TimeInterval) async -> Void = { try? await Task.sleep(for: .milliseconds(Int($0 * 1000))) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.sleep = sleep
        self.now = now
    }

    /// Waits until `chat` may receive the next message (or edit), then books the slot. Returns
    /// `false`, booking nothing, when the task is cancelled while it waits (a preview no longer
    /// needed: cancelled sleeps return at once, so waiting on would spin).
    @discardableResult
    public func waitTurn(chat: Int64, isGroup: Bool) async -> Bool {
        while true {
            if Task.isCancelled { return false }
            let now = now()
            recent.removeAll { now.timeIntervalSince($0) >= 1 }
            let chatReady = max(nextAllowed[chat] ?? .distantPast, pausedUntil[chat] ?? .distantPast, globalPausedUntil)
            var wait = chatReady.timeIntervalSince(now)
            if recent.count >= Self.globalPerSecond, let oldest = recent.first {
                wait = max(wait, 1 - now.timeIntervalSince(oldest))
            }
            if wait <= 0 {
                nextAllowed.set(now.addingTimeInterval(isGroup ? Self.groupInterval : Self.privateInterval), for: chat) { $0 <= now }
                recent.append(now)
                return true
            }
            await sleep(wait)
        }
    }

    /// Chats with a wait in force or not yet forgotten.
    var trackedChats: Int { Set(nextAllowed.keys).union(pausedUntil.keys).count }

    /// Telegram answered a call to `chat` (whatever it said): the chat's next turn is an interval
    /// from now.
    public func answered(chat: Int64, isGroup: Bool) {
        let now = now()
        let next = now.addingTimeInterval(isGroup ? Self.groupInterval : Self.privateInterval)
        nextAllowed.set(max(nextAllowed[chat] ?? .distantPast, next), for: chat) { $0 <= now }
    }

    /// After a 429: `chat` waits `seconds`; with `chat == nil`, everyone does.
    public func pause(chat: Int64?, seconds: Int) {
        let now = now()
        let until = now.addingTimeInterval(TimeInterval(max(1, seconds)))
        if let chat {
            pausedUntil.set(max(pausedUntil[chat] ?? .distantPast, until), for: chat) { $0 <= now }
        } else {
            globalPausedUntil = max(globalPausedUntil, until)
        }
    }
}
