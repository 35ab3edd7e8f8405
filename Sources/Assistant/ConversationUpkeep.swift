import Synchronization

/// Background work on conversations (facts, summaries) that runs after their replies: one job at
/// a time per conversation, in the order scheduled, and forgotten once done, so a bot that meets
/// a million conversations holds only those with work in flight.
final class ConversationUpkeep: Sendable {
    private struct Job {
        var task: Task<Void, Never>
        var number: Int
    }

    private struct State {
        var scheduled = 0
        var jobs: [String: Job] = [:]
    }

    private let state = Mutex(State())

    /// Runs `work` after the conversation's jobs scheduled before it.
    func schedule(_ conversation: String, _ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let previous = state.jobs[conversation]?.task
            state.scheduled += 1
            let number = state.scheduled
            let task = Task {
                await previous?.value
                await work()
                self.state.withLock { state in
                    if state.jobs[conversation]?.number == number { state.jobs[conversation] = nil }
                }
            }
            state.jobs[conversation] = Job(task: task, number: number)
        }
    }

    /// Conversations with work in flight.
    var pending: Int { state.withLock { $0.jobs.count } }

    /// Returns once every job scheduled so far (and any they lead to) has finished.
    func waitUntilIdle() async {
        while true {
            let tasks = state.withLock { $0.jobs.values.map(\.task) }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }
}
