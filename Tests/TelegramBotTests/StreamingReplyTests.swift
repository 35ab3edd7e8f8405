import Foundation
import Testing
import TestSupport

@testable import TelegramBot

/// How an answer appears in a private chat while it is generated, against Telegram's strict
/// limits (drafts count): the preview follows the stream, the final text is never held back by
/// more than the chat's interval, and nothing is refused.
@Suite struct StreamingReplyTests {
    /// The first draft carries the first word (before, a preview waited for 12 characters and a
    /// 200 ms poll); later drafts show more; the final message holds the whole answer.
    @Test func draftsFollowTheStreamFromTheFirstWord() async throws {
        let words = (1...8).map { "word\($0) " }
        var script = FakeLLMScript(text: words.joined(), pace: .milliseconds(300))
        let hold = StreamHold(beforeChunk: 1)
        script.hold = hold
        let h = try BotHarness(script: script, limits: FakeTelegramServer.Limits())
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "count for me", chatID: 21, userID: 21)
        // The stream waits after its first word: the draft must show that word alone.
        await h.waitFor("the first draft") { h.telegram.timeline.contains { $0.method == "sendMessageDraft" && $0.chatID == 21 } }
        hold.open()
        await h.waitFor("the final message") { h.telegram.timeline.contains { $0.method == "sendMessage" && $0.chatID == 21 } }
        let shown = h.telegram.timeline.filter { $0.chatID == 21 }
        let drafts = shown.filter { $0.method == "sendMessageDraft" }.map(\.text)
        #expect(drafts.first?.trimmingCharacters(in: .whitespaces) == "word1", "the first draft shows the first word: \(drafts)")
        #expect(drafts.count >= 2, "the draft follows the stream: \(drafts)")
        #expect(zip(drafts, drafts.dropFirst()).allSatisfy { $1.hasPrefix($0) && $1.count > $0.count }, "each draft shows more: \(drafts)")
        #expect(shown.last?.method == "sendMessage")
        #expect(shown.last?.text.trimmingCharacters(in: .whitespaces) == words.joined().trimmingCharacters(in: .whitespaces), "\(shown.last?.text ?? "")")
        #expect(h.telegram.tooManyRequests == 0)
    }

    /// A chat's interval counts from when Telegram answered its previous call, which is after
    /// Telegram measured that call's arrival: at exactly Telegram's one second, three answers with
    /// their drafts in one chat meet no 429.
    @Test func threeStreamedAnswersInOneChatMeetNoRateLimit() async throws {
        let h = try BotHarness(script: FakeLLMScript(text: (1...30).map { "w\($0)" }.joined(separator: " "), pace: .milliseconds(50)), limits: FakeTelegramServer.Limits())
        let bot = try h.makeBot()
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        for index in 1...3 { h.telegram.sendUpdate(text: "question \(index)", chatID: 22, userID: 22) }
        await h.waitFor("three answers") { h.telegram.timeline.filter { $0.method == "sendMessage" && $0.chatID == 22 }.count == 3 }
        #expect(h.telegram.tooManyRequests == 0)
        let times = h.telegram.timeline.filter { $0.chatID == 22 }.map(\.at)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= .seconds(1) }, "a second apart as Telegram measures")
    }
}
