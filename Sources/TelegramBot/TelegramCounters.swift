import Synchronization

/// What the bot counted since it started, for `/metrics`.
public final class TelegramCounters: Sendable {
    public struct Snapshot: Sendable, Hashable {
        /// Updates received (polled or delivered to the webhook).
        public var updates = 0
        /// 429 answers from Telegram.
        public var rateLimited = 0
        /// Webhook requests refused (wrong secret, not an update).
        public var webhookRejected = 0

        public init() {}
    }

    private let state = Mutex(Snapshot())

    public var snapshot: Snapshot { state.withLock { $0 } }

    func record(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }
}
