/// Per-chat or per-person state that stops mattering with time (a wait that is over, a window
/// that is empty): once the dictionary has doubled since its last sweep (and holds at least
/// `minimumSweep` entries), the entries that are over are dropped. It holds about twice what
/// matters now, and each sweep is one pass paid for by the insertions before it.
public struct ForgetfulDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var entries: [Key: Value] = [:]
    private var sweepAt: Int
    private let minimumSweep: Int

    public init(minimumSweep: Int = 1_024) {
        self.minimumSweep = minimumSweep
        sweepAt = minimumSweep
    }

    public subscript(key: Key) -> Value? { entries[key] }

    public var count: Int { entries.count }
    public var keys: Dictionary<Key, Value>.Keys { entries.keys }

    /// Stores `value` for `key`, sweeping out the entries `isOver` says no longer matter when due.
    public mutating func set(_ value: Value, for key: Key, forgetting isOver: (Value) -> Bool) {
        entries[key] = value
        guard entries.count >= sweepAt else { return }
        entries = entries.filter { !isOver($0.value) }
        sweepAt = max(minimumSweep, 2 * entries.count)
    }

    public mutating func removeValue(forKey key: Key) {
        entries[key] = nil
    }
}
