/// The updates being answered now: an update handed over twice (from the inbox at start and
/// from the webhook) is answered once.
actor UpdateTracker {
    private var inHand: Set<Int64> = []

    /// Whether `id` is new (not being handled already).
    func begin(_ id: Int64) -> Bool {
        inHand.insert(id).inserted
    }

    func finish(_ id: Int64) {
        inHand.remove(id)
    }
}
