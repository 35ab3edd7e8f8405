import Core
import Foundation

/// Chats whose user blocked the bot (403): nothing more is sent there for a day, or until they
/// write again. Forgotten after that (a send then meets the 403 once more), so the set stays the
/// size of a day's blocks.
actor BlockedChats {
    static let memory: TimeInterval = 86_400
    private var blockedAt = ForgetfulDictionary<Int64, Date>()
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }

    func block(_ chat: Int64) {
        let now = now()
        blockedAt.set(now, for: chat) { now.timeIntervalSince($0) >= Self.memory }
    }

    func unblock(_ chat: Int64) { blockedAt.removeValue(forKey: chat) }

    func contains(_ chat: Int64) -> Bool {
        guard let at = blockedAt[chat] else { return false }
        return now().timeIntervalSince(at) < Self.memory
    }

    var count: Int { blockedAt.count }
}
