import Core
import Foundation

/// Strangers told "this bot is private": once per stranger per `interval`, so that flooding the bot
/// costs it nothing but silence.
actor RefusalLimiter {
    private let interval: TimeInterval
    private var told = ForgetfulDictionary<Int64, Date>()

    init(interval: TimeInterval) { self.interval = interval }

    func shouldTell(_ user: Int64, now: Date = Date()) -> Bool {
        if let last = told[user], now.timeIntervalSince(last) < interval { return false }
        // Strangers told longer ago than the interval are forgotten: they would be told again anyway.
        told.set(now, for: user) { now.timeIntervalSince($0) >= interval }
        return true
    }

    var trackedStrangers: Int { told.count }
}
