import Benchmark
import Console
import Core
import Foundation

/// A busy screen: 10 conversations streaming long answers with CJK and emoji, full error log.
func busyState(width: Int, height: Int) -> ConsoleState {
    let now = Date()
    var state = ConsoleState(width: width, height: height, startedAt: now.addingTimeInterval(-11_520))
    state.now = now
    state.snapshot = ConsoleSnapshot(
        providers: ["openai", "anthropic", "groq", "local"].map { ProviderRow(name: $0, configured: true, enabled: true, circuit: .closed, latencyMilliseconds: 400) },
        spend: ["openai", "anthropic", "groq", "local"].flatMap { [SpendLine(provider: $0, window: .hourly, spent: 2.3, limit: 5), SpendLine(provider: $0, window: .daily, spent: 11.9, limit: 100)] }
            + [SpendLine(provider: nil, window: .daily, spent: 17.9, limit: 150)],
        todaySpend: 17.9,
        conversations: (0..<10).map { ConversationRow(id: .telegram(chat: Int64($0)), channel: "telegram", user: "@user\($0)", model: "gpt-4o-mini", costUSD: 0.01, updatedAt: now, streaming: true) },
        errors: (0..<200).map { ErrorRow(at: now, source: "openai", message: "429 rate limited, retry in \($0)s") },
        cacheHitRate: 0.234, cacheSavedUSD: 1.12, cacheEntries: 1204)
    for index in 0..<10 {
        var stream = StreamView()
        stream.question = "Explain write-ahead logging, please 🙏"
        stream.answer = String(repeating: "WAL keeps readers and one writer apart; 日志先写 📝 then checkpoints. ", count: 60)
        stream.streaming = true
        state.streams[.telegram(chat: Int64(index))] = stream
    }
    state.selectedConversation = .telegram(chat: 3)
    return state
}

let benchmarks: @Sendable () -> Void = {
    // Target: rendering a full 200×60 frame into the buffer under 2 ms.
    let state = busyState(width: 200, height: 60)
    Benchmark("render a 200×60 frame", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, maxDuration: .seconds(10), maxIterations: 2_000)) { _ in
        blackHole(ConsoleRenderer.render(state))
    }

    // The console's work for one frame while 10 conversations stream: the deltas that arrived
    // since the last frame (500 tokens/s at 60 frames/s ≈ 9 per frame) reduced, then a render.
    Benchmark("one frame with 10 conversations streaming", configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, maxDuration: .seconds(10), maxIterations: 2_000)) { _ in
        var frame = state
        for index in 0..<9 {
            _ = ConsoleReducer.reduce(&frame, .event(.streamDelta(StreamDelta(request: RequestID(rawValue: "r"), conversation: .telegram(chat: Int64(index)), text: "token "))))
        }
        blackHole(ConsoleRenderer.render(frame))
    }
}
