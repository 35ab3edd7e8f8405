/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`; returns whether it
/// came. For state that no event announces (a request reaching a fake server); the 30 s default
/// covers a fresh two-core CI machine that starves the whole test process for ~10 s at start.
public func waitUntil(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))  // cancelled: the next check decides
    }
    return try condition()
}
