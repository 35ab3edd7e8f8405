import Core
import Foundation

/// Messages per person per minute. People quiet for a minute are forgotten (their window is
/// empty either way), so it holds only the last minute's writers.
actor UserRateLimiter {
    private let perMinute: Int
    private var recent = ForgetfulDictionary<Int64, [Date]>()
    private let now: @Sendable () -> Date

    init(perMinute: Int, now: @escaping @Sendable () -> Date = { Date() }) {
        self.perMinute = perMinute
        self.now = now
    }

    func allow(user: Int64) -> Bool {
        let now = now()
        var times = (recent[user] ?? []).filter { now.timeIntervalSince($0) < 60 }
        guard times.count < perMinute else { return false }
        times.append(now)
        recent.set(times, for: user) { $0.allSatisfy { now.timeIntervalSince($0) >= 60 } }
        return true
    }

    var trackedUsers: Int { recent.count }
}
